import { fromBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Message, MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";

/** An inbox entry joined with its stored message. */
export interface InboxRow {
  seq: number | bigint;
  delivered_at: number | null;
  read_at: number | null;
  data: Buffer;
}

/** The columns that select an InboxRow from `inbox i JOIN messages m`. */
export const INBOX_COLUMNS = "i.seq, i.delivered_at, i.read_at, m.data";

/** A stored message with the recipient's inbox fields (seq, delivered, read) filled in. */
export function inboxMessage(row: InboxRow): Message {
  const message = fromBinary(MessageSchema, row.data);
  message.seq = BigInt(row.seq);
  if (row.delivered_at !== null) message.deliveredAt = timestampFromMs(row.delivered_at);
  if (row.read_at !== null) message.readAt = timestampFromMs(row.read_at);
  return message;
}
