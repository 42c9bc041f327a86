import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { HubStatusSchema, type InstanceBacklog, InstanceBacklogSchema } from "@linker/protocol/gen/linker/v1/hub_status_pb.js";
import { Presence } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import {
  GetConversationRequestSchema,
  GetHubConversationResponseSchema,
  GetHubStatusResponseSchema,
  type LinkerService,
} from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { MessageKind, Priority } from "@linker/protocol/gen/linker/v1/message_pb.js";
import type { Hub } from "../hub.js";
import type { InstanceStanding } from "./hub-census.js";
import { watchHub } from "./hub-watch.js";
import { seesDataDirKey } from "./observer-access.js";

/** Backlogs reported when the request leaves top_backlogs 0. */
const DEFAULT_TOP_BACKLOGS = 10;
/** Every message kind, in proto order. */
const MESSAGE_KINDS = Object.values(MessageKind).filter((v): v is MessageKind => typeof v === "number" && v !== MessageKind.UNSPECIFIED);


function backlog(row: InstanceStanding): InstanceBacklog {
  return create(InstanceBacklogSchema, {
    name: row.name,
    unread: row.unread,
    presence: row.online ? Presence.ONLINE : Presence.OFFLINE,
    status: row.status,
    registered: true,
  });
}

/**
 * The observer RPCs: the hub's status, a watch on every event, and any
 * instance's conversations. They read only; who may call them is decided by
 * the observer access policy before they run.
 */
export function createObserverService(hub: Hub): Pick<ServiceImpl<typeof LinkerService>, "getHubStatus" | "watchHub" | "getHubConversation"> {
  const { deps, observation, mailbox, registry } = hub;
  return {
    async getHubStatus(req, ctx) {
      const { traffic, census } = observation;
      const [instances, holdings, headSeq, resumedSeq] = await Promise.all([
        census.instances(),
        census.holdings(),
        deps.store.transaction((tx) => tx.events.head()),
        observation.resumedSeq.catch(() => 0n),
      ]);
      const top = req.topBacklogs === 0 ? DEFAULT_TOP_BACKLOGS : req.topBacklogs;
      // The snapshot may be a second old; the instances the caller named are counted now.
      const named = req.instances.length === 0 ? new Map<string, InstanceStanding | undefined>() : await census.standingsOf(req.instances);
      const fresh = (name: string) => {
        const row = named.get(name);
        return row ? backlog(row) : create(InstanceBacklogSchema, { name, registered: false, presence: Presence.OFFLINE });
      };
      const backlogs = instances.standings.slice(0, top).map((row) => (named.has(row.name) ? fresh(row.name) : backlog(row)));
      for (const name of named.keys()) if (!backlogs.some((shown) => shown.name === name)) backlogs.push(fresh(name));
      const sizes = deps.fanout.sizes();
      const latency = traffic.latencySummary();
      return create(GetHubStatusResponseSchema, {
        status: create(HubStatusSchema, {
          version: observation.version,
          startedAt: timestampFromMs(observation.startedAt),
          now: timestampFromMs(deps.clock.now()),
          store: deps.config.store,
          dataDir: deps.config.store === "memory" || !ctx.values.get(seesDataDirKey) ? "" : deps.config.dataDir,
          url: observation.url,
          headSeq,
          resumed: resumedSeq > 0n,
          resumedSeq,
          instances: { registered: instances.registered, online: instances.online, offline: instances.registered - instances.online },
          subscribers: sizes.subscribers,
          watchers: sizes.watchers,
          unreadMessages: BigInt(instances.unread),
          backlogs,
          messages: {
            stored: BigInt(traffic.stored()),
            delivered: BigInt(traffic.delivered),
            read: BigInt(traffic.read),
            byPriority: [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT].map((priority) => ({
              priority,
              count: BigInt(traffic.storedWithPriority(priority)),
            })),
            byKind: MESSAGE_KINDS.map((kind) => ({ kind, count: BigInt(traffic.storedOfKind(kind)) })).filter((row) => row.count > 0n),
          },
          tasks: [...holdings.tasks].map(([status, count]) => ({ status, count })),
          memoryKeys: holdings.memoryKeys,
          asks: {
            answered: BigInt(traffic.asks.answered),
            timedOut: BigInt(traffic.asks.timed_out),
            noResponders: BigInt(traffic.asks.no_responders),
            failed: BigInt(traffic.asks.failed),
          },
          deliveryLatency: latency,
        }),
      });
    },
    async *watchHub(req, ctx) {
      yield* watchHub(deps, req.afterSeq, req.types, ctx.signal);
    },
    async getHubConversation(req) {
      await deps.store.transaction((tx) => registry.require(tx, req.viewer));
      // The page the viewer itself would get from GetConversation.
      const asViewer = create(GetConversationRequestSchema, { selector: req.selector, pageSize: req.pageSize, pageToken: req.pageToken });
      return create(GetHubConversationResponseSchema, await mailbox.conversation({ name: req.viewer, token: "" }, asViewer));
    },
  };
}
