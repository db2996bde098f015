// The P1 rules moved to domain/tthc/rules.ts (pure; every layer imports them); re-exported for existing callers.
export * from '../domain/tthc/rules.js';
