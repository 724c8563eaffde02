package dev.agentstore.cli;

import dev.agentstore.domain.observability.NewLlmUsage;
import dev.agentstore.domain.observability.NewScore;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.math.BigDecimal;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code agentstore stats} shows scores per scorer and LLM usage totals when there are any. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StatsCommandTest {

    private CliRunner cli;

    @BeforeAll
    void migrate() {
        cli = new CliRunner(StatsCommandTest.class);
        assertThat(cli.run("migrate", "up").exitCode()).isZero();
    }

    @AfterAll
    void drop() {
        cli.close();
    }

    private AgentStore store() {
        return AgentStore.open(AgentStoreConfig.builder().url(CliRunner.URL).user(CliRunner.USER)
                .password(CliRunner.PASSWORD).schema(cli.schema).autoMigrate(false).build());
    }

    @Test
    void scoresPerScorerAndUsageTotalsPerCurrencyAreShownWhenThereAreAny() {
        CliRunner.Result empty = cli.run("stats");
        assertThat(empty.exitCode()).as(empty.err()).isZero();
        assertThat(empty.out()).doesNotContainPattern("(?m)^scorer\\s").doesNotContain("llm usage:");

        try (AgentStore store = store()) {
            store.scores().save(NewScore.builder("stats-relevance", 0.5).build());
            store.scores().save(NewScore.builder("stats-relevance", 1.0).build());
            store.llmUsage().recordAll(List.of(
                    NewLlmUsage.builder("openai", "gpt-4o", 100, 20).cost(new BigDecimal("0.25"), "USD").build(),
                    NewLlmUsage.builder("openai", "gpt-4o", 50, 10).cost(new BigDecimal("0.50"), "USD").build(),
                    NewLlmUsage.builder("mistral", "small", 5, 5).cost(new BigDecimal("0.1"), "EUR").build()));
        }

        CliRunner.Result stats = cli.run("stats");

        assertThat(stats.exitCode()).as(stats.err()).isZero();
        assertThat(stats.out()).containsPattern("(?m)^scorer\\s")
                .containsPattern("stats-relevance\\s+2\\s+0\\.7500")
                .contains("llm usage: 3 records, 155 input + 35 output tokens, 190 total")
                .contains("cost 0.75 USD (2 records)")
                .contains("cost 0.1 EUR (1 records)");
    }
}
