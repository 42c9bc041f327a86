/**
 * Every stored message cost a write to an index of events by message id,
 * used only to list a broadcast's recipients again and to prune messages;
 * both now find what they need through the inbox index or a scan on the
 * rare path, and sends write one index less.
 */
export const leanEventIndexes = `
DROP INDEX IF EXISTS events_by_message;
`;
