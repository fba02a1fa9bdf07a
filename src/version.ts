/** The library name and version stamped on every payload (`context.library`); a test keeps it equal to package.json. */
export const LIBRARY = Object.freeze({ name: 'journeys', version: '0.1.0' });
