import { useState } from "preact/hooks";
import { ActivityFeed } from "./activity-feed.js";
import { Composer } from "./composer.js";
import { ConversationViewer } from "./conversation-viewer.js";
import type { HubModel } from "./hub-model.js";
import { InstancesView } from "./instances-view.js";
import { MemoryBrowser } from "./memory-browser.js";
import { SettingsBar } from "./settings-bar.js";
import { StatsView } from "./stats-view.js";
import { TaskBoard } from "./task-board.js";
import { useModel } from "./use-model.js";

type Tab = "tasks" | "memory" | "conversations";

/** The whole dashboard: header, overview (stats, instances, feed, overseer's desk) and the tabbed work views. */
export function App({ model }: { model: HubModel }) {
  useModel(model);
  const [tab, setTab] = useState<Tab>("tasks");
  return (
    <div class="page">
      <SettingsBar model={model} />
      <StatsView model={model} />
      <div class="overview">
        <InstancesView model={model} />
        <ActivityFeed model={model} />
        <Composer model={model} />
      </div>
      <nav class="tabs">
        {(["tasks", "memory", "conversations"] as const).map((name) => (
          <button key={name} class={tab === name ? "tab active" : "tab"} data-testid={`tab-${name}`} onClick={() => setTab(name)}>
            {name === "tasks" ? "Task board" : name === "memory" ? "Memory" : "Conversations"}
          </button>
        ))}
      </nav>
      {tab === "tasks" && <TaskBoard model={model} />}
      {tab === "memory" && <MemoryBrowser model={model} />}
      {tab === "conversations" && <ConversationViewer model={model} />}
    </div>
  );
}
