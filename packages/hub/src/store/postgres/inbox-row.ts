import { fromBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Message, MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { msOf } from "./sql.js";

/** An inbox entry joined with its stored message. */
export interface InboxRow {
  seq: string;
  delivered_at: string | null;
  read_at: string | null;
  data: Buffer;
}

/** The columns that select an InboxRow from `inbox i JOIN messages m`. */
export const INBOX_COLUMNS = "i.seq, i.delivered_at, i.read_at, m.data";

/** A stored message with the recipient's inbox fields (seq, delivered, read) filled in. */
export function inboxMessage(row: InboxRow): Message {
  const message = fromBinary(MessageSchema, row.data);
  message.seq = BigInt(row.seq);
  const delivered = msOf(row.delivered_at);
  const read = msOf(row.read_at);
  if (delivered !== null) message.deliveredAt = timestampFromMs(delivered);
  if (read !== null) message.readAt = timestampFromMs(read);
  return message;
}
