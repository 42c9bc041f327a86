/** As SQLite's migration 4: sends no longer maintain an index of events by message id. */
export const leanEventIndexes = `
DROP INDEX IF EXISTS events_by_message;
`;
