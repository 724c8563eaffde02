package dev.agentstore.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One JSON line per workload phase, with the fields of {@code WORKLOADS.md}:
 * {@code {system:"agentstore", workload, ops, seconds, ops_per_s, p50_ms, p99_ms, check, ...}}; {@code check} is
 * {@code "ok"} or a description of what failed. Extra fields follow.
 */
final class Result {

    static final ObjectMapper MAPPER = new ObjectMapper();

    final ObjectNode json = MAPPER.createObjectNode();

    Result(String workload) {
        json.put("system", "agentstore");
        json.put("workload", workload);
    }

    /**
     * @param ops     operations in the measured loop
     * @param nanos   the measured loop's wall time
     * @param latency per-call wall times
     * @return this
     */
    Result timing(long ops, long nanos, Latencies latency) {
        double seconds = nanos / 1e9;
        json.put("ops", ops);
        json.put("seconds", round(seconds, 3));
        json.put("ops_per_s", round(ops / seconds, 1));
        double[] sorted = latency.sortedMillis();
        json.put("p50_ms", sorted.length == 0 ? null : round(Generators.percentile(sorted, 50), 3));
        json.put("p99_ms", sorted.length == 0 ? null : round(Generators.percentile(sorted, 99), 3));
        json.put("check", "ok");
        double cpu = latency.cpuMicrosPerOp();
        if (!Double.isNaN(cpu)) {
            json.put("client_cpu_us_per_call", round(cpu, 1));
        }
        return this;
    }

    Result check(String failure) {
        if (failure != null) {
            String previous = json.path("check").asText("ok");
            json.put("check", "ok".equals(previous) ? failure : previous + "; " + failure);
        }
        return this;
    }

    Result put(String field, Object value) {
        json.set(field, MAPPER.valueToTree(value));
        return this;
    }

    String workload() {
        return json.path("workload").asText();
    }

    static double round(double v, int decimals) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return v;
        }
        double f = Math.pow(10, decimals);
        return Math.round(v * f) / f;
    }

    @Override
    public String toString() {
        return json.toString();
    }
}
