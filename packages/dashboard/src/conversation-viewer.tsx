import { useEffect, useState } from "preact/hooks";
import { ConnectError } from "@connectrpc/connect";
import { type Message, MessageKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { clock, enumText } from "./format.js";
import type { HubModel } from "./hub-model.js";

/** The direct history between two instances, oldest first, paged from the hub (GetHubConversation). */
export function ConversationViewer({ model }: { model: HubModel }) {
  const names = [...model.instances.keys()].sort();
  const [a, setA] = useState("");
  const [b, setB] = useState("");
  const [messages, setMessages] = useState<Message[]>([]);
  const [next, setNext] = useState("");
  const [error, setError] = useState("");
  const load = async (first: string, second: string, token = "") => {
    setError("");
    try {
      const page = await model.conversation(first, second, token);
      setMessages((old) => (token === "" ? page.messages : [...old, ...page.messages]));
      setNext(page.nextPageToken);
    } catch (err) {
      setError(ConnectError.from(err).rawMessage);
    }
  };
  useEffect(() => {
    if (a && b && a !== b) void load(a, b);
  }, [a, b, model.feed.length]);
  return (
    <section class="conversations">
      <div class="pairs">
        <h3>Recent conversations</h3>
        <ul>
          {model.pairs.slice(0, 30).map((pair) => {
            const [x, y] = pair.split("\u0000");
            return (
              <li key={pair} class={x === a && y === b ? "selected" : ""} onClick={() => (setA(x), setB(y))} data-testid={`pair-${x}-${y}`}>
                {x} ↔ {y}
              </li>
            );
          })}
        </ul>
        <label>
          between{" "}
          <select value={a} onChange={(e) => setA(e.currentTarget.value)}>
            <option value="" />
            {names.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>{" "}
        <label>
          and{" "}
          <select value={b} onChange={(e) => setB(e.currentTarget.value)}>
            <option value="" />
            {names.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
      </div>
      <div class="thread" data-testid="conversation">
        {error && <div class="error">{error}</div>}
        {messages.map((m) => (
          <div key={m.id} class={m.sender === a ? "bubble left" : "bubble right"}>
            <div class="meta">
              {m.sender} · {clock(m.sentAt)}
              {m.kind !== MessageKind.TEXT ? ` · ${enumText(MessageKind, m.kind).replace("message kind ", "")}` : ""}
              {m.readAt ? " · read" : m.deliveredAt ? " · delivered" : ""}
            </div>
            <div class="body">{m.body}</div>
          </div>
        ))}
        {next && (
          <button onClick={() => void load(a, b, next)} class="link">
            more
          </button>
        )}
        {a && b && messages.length === 0 && !error && <div class="muted">no messages between {a} and {b}</div>}
      </div>
    </section>
  );
}
