export * from './agencies.js';
export * from './diagnostics.js';
