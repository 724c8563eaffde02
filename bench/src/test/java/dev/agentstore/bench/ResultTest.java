package dev.agentstore.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --repeat}: a phase's reported line is its median pass. */
class ResultTest {

    @Test
    void theMedianOfThreePassesIsTheMiddlePassByOpsPerSecondWithEveryPassListed() {
        List<Result> passes = List.of(
                pass("W1", 1, 3000, 0.30), pass("W1.jdbc", 1, 3100, 0.29),
                pass("W1", 2, 4200, 0.21), pass("W1.jdbc", 2, 2900, 0.31),
                pass("W1", 3, 3900, 0.23), pass("W1.jdbc", 3, 5000, 0.18));

        List<Result> medians = Result.medians(passes);

        assertThat(medians).extracting(Result::workload).containsExactly("W1", "W1.jdbc");
        Result w1 = medians.get(0);
        assertThat(w1.json.path("ops_per_s").asDouble()).isEqualTo(3900);
        assertThat(w1.json.path("p50_ms").asDouble()).isEqualTo(0.23); // the median pass's own latency
        assertThat(w1.json.has("repeat")).isFalse();
        assertThat(w1.json.path("repeats").asInt()).isEqualTo(3);
        assertThat(w1.json.path("ops_per_s_runs").toString()).isEqualTo("[3000.0,4200.0,3900.0]");
        assertThat(medians.get(1).json.path("ops_per_s").asDouble()).isEqualTo(3100);
    }

    @Test
    void anEvenNumberOfPassesReportsTheLowerMiddleOneAndAFailedPassStaysVisible() {
        Result failed = pass("W4", 2, 2500, 2.0).check("lost_updates=3");
        List<Result> medians = Result.medians(List.of(pass("W4", 1, 2000, 2.5), failed));

        assertThat(medians.get(0).json.path("ops_per_s").asDouble()).isEqualTo(2000);
        assertThat(medians.get(0).json.path("check").asText()).isEqualTo("pass 2: lost_updates=3");
    }

    private static Result pass(String phase, int repeat, double opsPerSecond, double p50) {
        Result r = new Result(phase).put("ops_per_s", opsPerSecond).put("p50_ms", p50).put("check", "ok");
        return r.put("repeat", repeat);
    }
}
