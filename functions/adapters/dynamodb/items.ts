/**
 * The import path the transition-request and webhook stores still use for
 * these helpers; new code imports `./toolkit.ts` and `./activities.ts`.
 */
export {
  activityFromItem,
  activityItem,
  activityPut,
} from './activities.ts';
export { type Item, queryAll } from './toolkit.ts';
