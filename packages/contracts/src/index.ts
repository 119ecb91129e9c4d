export * from './api.ts';
export * from './image.ts';
export * from './job.ts';
export * from './kube.ts';
export * from './messages.ts';
export * from './status.ts';
export * from './subjects.ts';
export * from './text.ts';
