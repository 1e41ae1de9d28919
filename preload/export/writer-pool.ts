// Writers kept for reuse once what was written in them has been sent. An export's batch and its
// request are a few hundred KB each; fresh buffers of that size are fresh pages to fault in and
// external memory that drives V8 into full collections, so the queue (batcher.ts) and the exporter
// (otlp-exporter.ts) each keep a few. Bounded: past `max`, a returned writer is left to the GC.
import { ProtobufWriter } from './protobuf-writer';

export class WriterPool {
  private readonly spare: ProtobufWriter[] = [];

  constructor(private readonly max: number) {}

  take(): ProtobufWriter {
    return this.spare.pop() ?? new ProtobufWriter(64 * 1024);
  }

  /** Only once nothing reads the writer's bytes any more. */
  give(writer: ProtobufWriter): void {
    if (this.spare.length >= this.max) return;
    writer.reset();
    this.spare.push(writer);
  }
}
