export * from './canonical';
export * from './ids';
export * from './time';
export * from './eip712';
