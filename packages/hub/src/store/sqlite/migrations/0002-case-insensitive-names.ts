/**
 * Names are unique regardless of case: every instance gets its lower-cased
 * name as a unique key. Where earlier versions let names that differ only in
 * case register side by side, the oldest-registered keeps the key; the others
 * keep working under their exact names but no new name can collide with them.
 */
export const caseInsensitiveNames = `
ALTER TABLE instances ADD COLUMN name_key TEXT;
UPDATE instances SET name_key = lower(name)
  WHERE rowid IN (SELECT MIN(rowid) FROM instances GROUP BY lower(name));
CREATE UNIQUE INDEX instances_by_name_key ON instances (name_key);
`;
