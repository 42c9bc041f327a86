import { useState } from "preact/hooks";
import { ConnectError } from "@connectrpc/connect";
import { type Task, TaskPriority, TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { ago, enumText, excerpt } from "./format.js";
import type { HubModel, TaskMove } from "./hub-model.js";

const COLUMNS = [TaskStatus.PENDING, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELED];

function statusText(status: TaskStatus): string {
  return enumText(TaskStatus, status).replace("task status ", "");
}

/** The move that takes `task` to `column`, if the overseer may make it. */
function moveTo(model: HubModel, task: Task, column: TaskStatus): TaskMove | undefined {
  return model.movesFor(task).find((move) => ("to" in move ? move.to === column : "cancel" in move ? column === TaskStatus.CANCELED : false));
}

function TaskCard({ model, task, onError }: { model: HubModel; task: Task; onError: (text: string) => void }) {
  const moves = model.movesFor(task);
  const run = (move: TaskMove) => model.moveTask(task, move).catch((err: unknown) => onError(ConnectError.from(err).rawMessage));
  return (
    <li class={`card priority-${task.priority}`} data-testid={`task-${task.title}`} draggable={moves.length > 0} onDragStart={(e) => e.dataTransfer?.setData("text/plain", task.id)}>
      <div class="title">{task.title}</div>
      {task.description && <div class="muted">{excerpt(task.description, 120)}</div>}
      <div class="meta">
        {task.assigner} → {task.assignee || "open"} · {enumText(TaskPriority, task.priority).replace("task priority ", "")} · rev {String(task.revision)} · {ago(task.updatedAt)}
      </div>
      {task.result && <div class="result">result: {excerpt(task.result, 120)}</div>}
      {task.notes.length > 0 && <div class="muted">{task.notes.length} notes, last: {excerpt(task.notes[task.notes.length - 1].text, 80)}</div>}
      {moves.length > 0 && (
        <div class="moves">
          {moves.map((move) => (
            <button key={move.label} onClick={() => void run(move)} data-testid={`move-${move.label.toLowerCase()}`}>
              {move.label}
            </button>
          ))}
        </div>
      )}
    </li>
  );
}

function NewTask({ model, onError }: { model: HubModel; onError: (text: string) => void }) {
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [assignee, setAssignee] = useState("");
  const [priority, setPriority] = useState(TaskPriority.NORMAL);
  return (
    <form
      class="new-task"
      data-testid="new-task"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          await model.createTask(title, description, assignee, priority);
          setTitle("");
          setDescription("");
        } catch (err) {
          onError(ConnectError.from(err).rawMessage);
        }
      }}
    >
      <input name="title" value={title} onInput={(e) => setTitle(e.currentTarget.value)} placeholder="new task" required maxLength={256} />
      <input name="description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} placeholder="description" />
      <select name="assignee" value={assignee} onChange={(e) => setAssignee(e.currentTarget.value)}>
        <option value="">open for claiming</option>
        {[...model.instances.keys()].sort().map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
      <select name="priority" value={priority} onChange={(e) => setPriority(Number(e.currentTarget.value))}>
        <option value={TaskPriority.LOW}>low</option>
        <option value={TaskPriority.NORMAL}>normal</option>
        <option value={TaskPriority.HIGH}>high</option>
        <option value={TaskPriority.URGENT}>urgent</option>
      </select>
      <button type="submit">Create and assign</button>
    </form>
  );
}

/**
 * Tasks by status. The overseer creates and assigns tasks, and moves a task
 * (with a button or by dragging it to a column) where the hub allows it: its
 * own tasks forward, tasks it assigned to canceled, open tasks by claiming.
 */
export function TaskBoard({ model }: { model: HubModel }) {
  const [error, setError] = useState("");
  const tasks = [...model.tasks.values()].sort((a, b) => b.priority - a.priority || Number((b.updatedAt?.seconds ?? 0n) - (a.updatedAt?.seconds ?? 0n)));
  return (
    <section class="board-view">
      <NewTask model={model} onError={setError} />
      {error && (
        <div class="error" data-testid="task-error">
          {error}
        </div>
      )}
      <div class="board">
        {COLUMNS.map((column) => (
          <div
            key={column}
            class="column"
            data-testid={`column-${statusText(column).replace(" ", "-")}`}
            onDragOver={(e) => e.preventDefault()}
            onDrop={(e) => {
              e.preventDefault();
              const task = model.tasks.get(e.dataTransfer?.getData("text/plain") ?? "");
              const move = task && moveTo(model, task, column);
              if (task && move) void model.moveTask(task, move).catch((err: unknown) => setError(ConnectError.from(err).rawMessage));
              else if (task && task.status !== column) setError(`you cannot move “${task.title}” to ${statusText(column)}: only its assignee moves it forward, its assigner cancels it`);
            }}
          >
            <h3>
              {statusText(column)} ({tasks.filter((t) => t.status === column).length})
            </h3>
            <ul>
              {tasks
                .filter((t) => t.status === column)
                .map((task) => (
                  <TaskCard key={task.id} model={model} task={task} onError={setError} />
                ))}
            </ul>
          </div>
        ))}
      </div>
    </section>
  );
}
