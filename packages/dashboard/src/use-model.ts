import { useEffect, useState } from "preact/hooks";
import type { HubModel } from "./hub-model.js";

/** Re-renders the calling component after model changes, at most once per animation frame. */
export function useModel(model: HubModel): HubModel {
  const [, setTick] = useState(0);
  useEffect(() => {
    let pending = 0;
    const unsubscribe = model.subscribe(() => {
      if (pending) return;
      pending = requestAnimationFrame(() => {
        pending = 0;
        setTick((n) => n + 1);
      });
    });
    return () => {
      unsubscribe();
      if (pending) cancelAnimationFrame(pending);
    };
  }, [model]);
  return model;
}
