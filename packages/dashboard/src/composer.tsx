import { useState } from "preact/hooks";
import { type Message, MessageKind, Priority } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { ConnectError } from "@connectrpc/connect";
import { clock } from "./format.js";
import type { HubModel } from "./hub-model.js";

function AnswerBox({ model, query }: { model: HubModel; query: Message }) {
  const [text, setText] = useState("");
  const [error, setError] = useState("");
  return (
    <form
      class="answer"
      data-testid={`answer-${query.id}`}
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          await model.answer(query, text);
          setText("");
        } catch (err) {
          setError(ConnectError.from(err).rawMessage);
        }
      }}
    >
      <input value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder={`answer ${query.sender}`} required />
      <button type="submit">Answer</button>
      {error && <div class="error">{error}</div>}
    </form>
  );
}

/** The overseer's desk: send a message, answer the questions agents asked, read the inbox. */
export function Composer({ model }: { model: HubModel }) {
  const [to, setTo] = useState("");
  const [body, setBody] = useState("");
  const [priority, setPriority] = useState(Priority.NORMAL);
  const [note, setNote] = useState("");
  const others = [...model.instances.keys()].filter((name) => name !== model.settings.name).sort();
  const questions = model.inbox.filter((m) => m.kind === MessageKind.QUERY && !model.answered.has(m.id) && !m.readAt);
  const unread = model.inbox.filter((m) => !m.readAt && m.kind !== MessageKind.QUERY);
  if (model.watchOnly) {
    return (
      <section class="panel desk" data-testid="watch-only">
        <h2>Your desk</h2>
        <p class="note">
          Watching only: {model.watchOnly}. To message and answer agents, enter an agent key that binds "{model.settings.name}" under <em>settings</em>.
        </p>
      </section>
    );
  }
  return (
    <section class="panel desk">
      <h2>Your desk</h2>
      <form
        class="compose"
        data-testid="compose"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await model.send(to, body, priority);
            setBody("");
            setNote(`sent to ${to}`);
          } catch (err) {
            setNote(ConnectError.from(err).rawMessage);
          }
        }}
      >
        <select value={to} onChange={(e) => setTo(e.currentTarget.value)} name="to" required>
          <option value="" disabled>
            to…
          </option>
          {others.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <select value={priority} onChange={(e) => setPriority(Number(e.currentTarget.value))} name="priority">
          <option value={Priority.LOW}>low</option>
          <option value={Priority.NORMAL}>normal</option>
          <option value={Priority.HIGH}>high</option>
          <option value={Priority.URGENT}>urgent</option>
        </select>
        <textarea value={body} onInput={(e) => setBody(e.currentTarget.value)} placeholder="message an agent" name="body" required rows={2} />
        <button type="submit" disabled={others.length === 0}>
          Send
        </button>
        {note && <div class="note">{note}</div>}
      </form>
      <h3>Questions for you ({questions.length})</h3>
      <ul class="questions" data-testid="questions">
        {questions.map((query) => (
          <li key={query.id} data-testid="question">
            <div>
              <time>{clock(query.sentAt)}</time> <strong>{query.sender}</strong> asks: <span class="text">{query.body}</span>
            </div>
            <AnswerBox model={model} query={query} />
          </li>
        ))}
      </ul>
      <h3>
        Inbox ({unread.length} unread){" "}
        {unread.length > 0 && (
          <button class="link" onClick={() => void model.markRead()}>
            mark read
          </button>
        )}
      </h3>
      <ul class="inbox" data-testid="inbox">
        {model.inbox
          .filter((m) => m.kind !== MessageKind.QUERY)
          .slice(-20)
          .reverse()
          .map((m) => (
            <li key={m.id} class={m.readAt ? "read" : "unread"}>
              <time>{clock(m.sentAt)}</time> <strong>{m.sender}</strong>: {m.body}
            </li>
          ))}
      </ul>
    </section>
  );
}
