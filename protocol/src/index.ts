export * from './canonical';
export * from './ids';
export * from './time';
export * from './eip712';
export * from './merkle';
export * from './digest';
export * from './subject-id';
export * from './personal-data';
