// What the bench's Node load generator threads are told and what they report back. Shapes only.

export interface Expectation {
  readonly verdict: 'allow' | 'deny';
  readonly reason: string;
}

/** Requests as fixed gRPC frames (cycled), or one template whose token is replaced per request. */
export type FrameSource =
  | { readonly kind: 'fixed'; readonly frames: readonly Uint8Array[]; readonly expect: readonly Expectation[] }
  | {
      readonly kind: 'cold';
      readonly template: Uint8Array;
      /** Byte offset of the template's token inside the frame. */
      readonly tokenOffset: number;
      readonly privatePem: string;
      readonly subject: number;
      readonly scopes: string;
      /** First token serial of this thread; serials never repeat within a bench run. */
      readonly serialBase: number;
      readonly count: number;
      readonly expect: Expectation;
    };

export interface ClientJob {
  /** host:port */
  readonly target: string;
  readonly source: FrameSource;
  readonly connections: number;
  /** Requests in flight per connection. */
  readonly streams: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  /** Upper bound on requests sent (warm-up included). */
  readonly maxRequests: number;
  /** Decode every response and compare it with the expectation (slower; T7 and pre-flight). */
  readonly verify: boolean;
}

export interface ClientReport {
  /** Responses completed within the measured window. */
  readonly completed: number;
  readonly measuredSeconds: number;
  /** Microseconds, measured window only. */
  readonly latenciesUs: Float64Array;
  /** Transport errors or a grpc-status other than 0. */
  readonly failed: number;
  /** Responses whose decision differed from the expectation (verify only). */
  readonly wrong: number;
  readonly firstWrong: string | undefined;
  /** Event-loop utilization of the thread over the measured window, 0..1: near 1 = the client is the bottleneck. */
  readonly elu: number;
}

export type WorkerMessage = { readonly type: 'ready' } | { readonly type: 'done'; readonly report: ClientReport } | { readonly type: 'error'; readonly message: string };
