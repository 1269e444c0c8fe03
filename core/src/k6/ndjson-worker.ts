/**
 * A worker thread of readNdjsonParallel: takes chunks of the file until none is left, then sends
 * what it read (its exact samples transferred, not copied). Its own small entry, so a worker loads
 * the NDJSON reader only, not the action that started it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { replyBuffers, scanSharedChunks, type ChunkJob } from './ndjson-parallel.js';

if (parentPort) {
  const reply = scanSharedChunks(workerData as ChunkJob);
  parentPort.postMessage(reply, replyBuffers(reply));
}
