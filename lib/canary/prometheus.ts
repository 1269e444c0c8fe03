/**
 * The canary's Prometheus client is the shared one (lib/prometheus.ts); re-exported so lib/canary
 * modules keep importing it from here.
 */
export { PrometheusClient, PrometheusError, type MatrixSeries, type VectorSample } from '../prometheus.js';
