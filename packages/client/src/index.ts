export * from './client.ts';
export * from './errors.ts';
export type { FollowOptions, LogEvent, LogLine } from './follow.ts';
export type { components, paths } from './generated/api.ts';
export { nextPageQuery } from './link.ts';
