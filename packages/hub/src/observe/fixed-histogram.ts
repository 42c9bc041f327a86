/** One labelled series of a histogram: counts per bucket, their sum and count. */
export interface HistogramSeries {
  /** Label values, in the histogram's label order. */
  readonly labels: Readonly<Record<string, string>>;
  /** Cumulative is computed at scrape; these are per-bucket counts, the last one +Inf. */
  readonly buckets: Float64Array;
  /** Sum of observed values. */
  sum: number;
  /** Number of observations. */
  count: number;
}

/** A metric in the shape prom-client's Registry formats (its `get()` contract). */
export interface CollectedMetric {
  /** Metric name. */
  readonly name: string;
  /** Help text. */
  readonly help: string;
  /** Prometheus type. */
  readonly type: "counter" | "gauge" | "histogram";
  /** Aggregation across workers (unused here, required by prom-client). */
  readonly aggregator: "sum";
  /** The current values. */
  get(): Promise<{ name: string; help: string; type: string; aggregator: "sum"; values: Array<{ labels: Record<string, string | number>; value: number; metricName?: string }> }>;
}

/**
 * A Prometheus histogram whose series are created once and then observed
 * without allocating: `observe(series, value)` only finds the bucket and adds.
 * Cumulative bucket counts are computed when the registry collects it.
 */
export class FixedHistogram implements CollectedMetric {
  readonly type = "histogram" as const;
  readonly aggregator = "sum" as const;
  private readonly series: HistogramSeries[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {}

  /** A new series with these labels (call once per label set and keep it). */
  open(labels: Record<string, string>): HistogramSeries {
    const series: HistogramSeries = { labels, buckets: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
    this.series.push(series);
    return series;
  }

  /** Adds one observation to `series`. */
  observe(series: HistogramSeries, value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    series.buckets[i] += 1;
    series.sum += value;
    series.count += 1;
  }

  async get() {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const series of this.series) {
      if (series.count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += series.buckets[i];
        const le = i < this.bounds.length ? this.bounds[i] : "+Inf";
        values.push({ labels: { ...series.labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: series.labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: series.labels, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** A counter or gauge whose values are read from the hub when the registry collects it. */
export function collectedMetric(
  name: string,
  help: string,
  type: "counter" | "gauge",
  read: () => Array<{ labels?: Record<string, string>; value: number }> | Promise<Array<{ labels?: Record<string, string>; value: number }>>,
): CollectedMetric {
  return {
    name,
    help,
    type,
    aggregator: "sum",
    async get() {
      const rows = await read();
      return { name, help, type, aggregator: "sum" as const, values: rows.map((row) => ({ labels: row.labels ?? {}, value: row.value })) };
    },
  };
}
