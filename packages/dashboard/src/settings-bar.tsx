import { useState } from "preact/hooks";
import type { HubModel } from "./hub-model.js";

/** Title, connection state, the overseer's name and the access key. */
export function SettingsBar({ model }: { model: HubModel }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(model.settings.name);
  const [accessKey, setAccessKey] = useState(model.settings.accessKey);
  return (
    <header class="bar">
      <h1>Linker</h1>
      <span class={`connection ${model.connection}`} data-testid="connection">
        {model.connection}
      </span>
      <span class="who">
        as <strong data-testid="overseer-name">{model.settings.name}</strong>
      </span>
      {model.problem && (
        <span class="problem" data-testid="problem">
          {model.problem}
        </span>
      )}
      <button class="link" onClick={() => setOpen(!open)}>
        settings
      </button>
      {open && (
        <form
          class="settings"
          onSubmit={(e) => {
            e.preventDefault();
            model.reconfigure({ name: name.trim() || "overseer", accessKey: accessKey.trim() });
          }}
        >
          <label>
            overseer name <input value={name} onInput={(e) => setName(e.currentTarget.value)} pattern="[A-Za-z0-9][A-Za-z0-9._\-]*" maxLength={64} />
          </label>
          <label>
            access key <input type="password" value={accessKey} onInput={(e) => setAccessKey(e.currentTarget.value)} placeholder="none on this machine" />
          </label>
          <button type="submit">Apply and reload</button>
        </form>
      )}
    </header>
  );
}
