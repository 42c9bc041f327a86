import { useState } from "preact/hooks";
import { ConnectError } from "@connectrpc/connect";
import type { MemoryEntry } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { ago, clock, excerpt } from "./format.js";
import type { HubModel, MemoryConflict } from "./hub-model.js";

function Editor({ model, entry, onDone }: { model: HubModel; entry: MemoryEntry | undefined; onDone: () => void }) {
  const [key, setKey] = useState(entry?.key ?? "");
  const [value, setValue] = useState(entry?.value ?? "");
  // The revision this edit started from: a write against it loses if anyone wrote since.
  const [base, setBase] = useState(entry?.revision ?? 0n);
  const [conflict, setConflict] = useState<MemoryConflict | undefined>();
  const [error, setError] = useState("");
  const live = model.memory.get(key);
  const stale = live !== undefined && live.revision !== base;
  const save = async (expected: bigint) => {
    setError("");
    try {
      const lost = await model.putMemory(key, value, expected);
      if (lost) setConflict(lost);
      else onDone();
    } catch (err) {
      setError(ConnectError.from(err).rawMessage);
    }
  };
  return (
    <form
      class="editor"
      data-testid="memory-editor"
      onSubmit={(e) => {
        e.preventDefault();
        void save(base);
      }}
    >
      <input name="key" value={key} onInput={(e) => setKey(e.currentTarget.value)} placeholder="key" required readOnly={entry !== undefined} />
      <textarea name="value" value={value} onInput={(e) => setValue(e.currentTarget.value)} rows={6} />
      <div class="muted">
        {entry ? `editing revision ${base}` : "creates the key (fails if it exists)"}
        {stale && !conflict && (
          <span class="warn" data-testid="memory-stale">
            {" "}
            · changed to revision {String(live.revision)} by {live.updatedBy} since you started
          </span>
        )}
      </div>
      <button type="submit">Save (compare-and-set)</button>{" "}
      <button type="button" onClick={onDone}>
        Cancel
      </button>
      {error && <div class="error">{error}</div>}
      {conflict && (
        <div class="conflict" data-testid="memory-conflict">
          <strong>Conflict:</strong> {conflict.message}
          <div>
            your edit was based on revision {String(conflict.expected)}; the key is at revision <span data-testid="conflict-current">{String(conflict.current)}</span>
            {live ? ` (by ${live.updatedBy}): ${excerpt(live.value, 200)}` : " (deleted)"}
          </div>
          <button
            type="button"
            onClick={() => {
              setBase(conflict.current);
              setConflict(undefined);
              void save(conflict.current);
            }}
          >
            Overwrite with mine
          </button>{" "}
          <button
            type="button"
            onClick={() => {
              setValue(live?.value ?? "");
              setBase(live?.revision ?? 0n);
              setConflict(undefined);
            }}
          >
            Take theirs
          </button>
        </div>
      )}
    </form>
  );
}

/** Shared memory: every key with its revision, a key's value and history, and compare-and-set edits that show conflicts. */
export function MemoryBrowser({ model }: { model: HubModel }) {
  const [selected, setSelected] = useState<string | undefined>();
  const [editing, setEditing] = useState<"new" | "edit" | undefined>();
  const [filter, setFilter] = useState("");
  const entries = [...model.memory.values()].filter((e) => e.key.includes(filter)).sort((a, b) => a.key.localeCompare(b.key));
  const entry = selected ? model.memory.get(selected) : undefined;
  const history = selected ? model.memoryHistory.get(selected) : undefined;
  return (
    <section class="memory-view">
      <div class="keys">
        <input placeholder="filter keys" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        <button onClick={() => setEditing("new")}>New key</button>
        <ul data-testid="memory-keys">
          {entries.map((e) => (
            <li key={e.key} class={e.key === selected ? "selected" : ""} data-testid={`memory-${e.key}`} onClick={() => (setSelected(e.key), setEditing(undefined))}>
              <span class="key">{e.key}</span> <span class="muted">rev {String(e.revision)} · {e.updatedBy}</span>
            </li>
          ))}
        </ul>
      </div>
      <div class="detail">
        {editing === "new" && <Editor model={model} entry={undefined} onDone={() => setEditing(undefined)} />}
        {editing === "edit" && entry && <Editor key={entry.key} model={model} entry={entry} onDone={() => setEditing(undefined)} />}
        {!editing && entry && (
          <div data-testid="memory-detail">
            <h3>{entry.key}</h3>
            <pre>{entry.value}</pre>
            <div class="muted">
              revision {String(entry.revision)} · written by {entry.updatedBy} {ago(entry.updatedAt)}
              {entry.expiresAt ? ` · expires ${clock(entry.expiresAt)}` : ""}
            </div>
            <button onClick={() => setEditing("edit")} data-testid="memory-edit">
              Edit
            </button>{" "}
            <button onClick={() => void model.loadMemoryHistory(entry.key)}>Show revisions</button>
            {history && (
              <ol class="history" data-testid="memory-history">
                {history.map((h) => (
                  <li key={String(h.revision)}>
                    rev {String(h.revision)} · {h.updatedBy} · {clock(h.updatedAt)} · {h.value ? excerpt(h.value, 100) : "(deleted)"}
                  </li>
                ))}
              </ol>
            )}
          </div>
        )}
        {!editing && !entry && <div class="muted">choose a key</div>}
      </div>
    </section>
  );
}
