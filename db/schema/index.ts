export * from './agencies.js';
export * from './diagnostics.js';
export * from './calendar.js';
export * from './sla.js';
export * from './notifications.js';
