import { describe, expect, it } from "vitest";
import { TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { isLegalMove } from "../../packages/hub/src/task-board.js";

describe("task state machine", () => {
  const S = TaskStatus;
  it.each([
    [S.PENDING, S.IN_PROGRESS, true],
    [S.PENDING, S.COMPLETED, true],
    [S.PENDING, S.FAILED, true],
    [S.PENDING, S.CANCELED, true],
    [S.IN_PROGRESS, S.COMPLETED, true],
    [S.IN_PROGRESS, S.FAILED, true],
    [S.IN_PROGRESS, S.CANCELED, true],
    [S.IN_PROGRESS, S.PENDING, false],
    [S.COMPLETED, S.IN_PROGRESS, false],
    [S.COMPLETED, S.FAILED, false],
    [S.FAILED, S.COMPLETED, false],
    [S.CANCELED, S.PENDING, false],
    [S.PENDING, S.UNSPECIFIED, false],
  ])("%s → %s is %s", (from, to, legal) => {
    expect(isLegalMove(from, to)).toBe(legal);
  });
});
