/**
 * `npm start`. Nothing traces locally, so the X-Ray SDK (loaded by
 * Powertools' Tracer) starts in manual mode: in its default mode it hooks
 * every promise of the process as it loads (cls-hooked's async hooks),
 * about a twentieth of the registry's CPU per request. The setting is read
 * when the SDK loads, hence before any module that imports it.
 */
process.env.AWS_XRAY_MANUAL_MODE ??= 'true';
await import('./start.ts');
