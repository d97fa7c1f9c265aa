import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Starts DynamoDB Local bound to one host (127.0.0.1 by default): the stock
 * launcher has no host option and listens on every interface. Starting the
 * proxy directly also skips the stock main, so telemetry is never set up.
 *
 * The process exits when its standard input closes, so it dies with the
 * stagegate runtime that started it even when that runtime is SIGKILLed.
 */
public class LoopbackDynamoDBLocal {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    String host = System.getProperty("ddblocal.host", "127.0.0.1");
    for (Connector connector : ((Server) field.get(proxy)).getConnectors()) {
      ((ServerConnector) connector).setHost(host);
    }
    Thread watchdog = new Thread(() -> {
      try {
        while (System.in.read() != -1) {
          // Input is ignored; only end-of-stream matters.
        }
      } catch (Exception ignored) {
        // A broken pipe means the parent is gone, the same as end-of-stream.
      }
      Runtime.getRuntime().halt(0);
    }, "parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    proxy.start();
  }
}
