export * from './indicators.js';
export * from './config.js';
export * from './scoring.js';
export * from './period.js';
