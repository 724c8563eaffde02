package dev.agentstore.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class DemoCommandTest {

    private static CliRunner cli;

    @BeforeAll
    static void setUp() {
        cli = new CliRunner(DemoCommandTest.class);
    }

    @AfterAll
    static void tearDown() {
        cli.close();
    }

    @Test
    void demoRunsTheKnowledgeQaFlowPerQuestionAndReportsQuality(@TempDir Path dir) throws IOException {
        TestCorpus.write(dir);
        CliRunner.Result r = cli.run("demo", "--corpus", dir.toString(), "--no-progress");
        assertThat(r.exitCode()).as(r.err() + r.out()).isZero();
        assertThat(r.out()).contains("asking 4 of 4 labelled index terms")
                .contains("hit@1").contains("hit@10").contains("MRR@10")
                .containsPattern("vector +[01]\\.\\d{3} +[01]\\.\\d{3} +[01]\\.\\d{3} ")
                .containsPattern("text +[01]\\.\\d{3} +[01]\\.\\d{3} +[01]\\.\\d{3} ")
                .containsPattern("hybrid +[01]\\.\\d{3} +[01]\\.\\d{3} +[01]\\.\\d{3} .*answers use this")
                .containsPattern("recall@10 +1\\.000").contains("p50").contains("p99")
                .containsPattern("flow_runs\\s+4\\s")
                .containsPattern("retrieval-hit@10\\s+4\\s").containsPattern("retrieval-recall@10\\s+4\\s+1\\.0000");
        assertThat(cli.queryLong("SELECT count(*) FROM scores WHERE entity_type = 'WORKFLOW' AND entity_id = 'knowledge-qa'"
                + " AND source = 'TEST' AND run_id IN (SELECT run_id FROM flow_runs)")).isEqualTo(8);
        assertThat(cli.queryLong("SELECT count(*) FROM flow_runs WHERE flow_name = 'knowledge-qa' AND status = 'COMPLETED'")).isEqualTo(4);
        // one trace per run: a workflow_run root and four step spans, all linked to their run
        assertThat(cli.queryLong("SELECT count(*) FROM spans WHERE parent_span_id IS NULL AND span_type = 'WORKFLOW_RUN'"
                + " AND run_id IS NOT NULL")).isEqualTo(4);
        assertThat(cli.queryLong("SELECT count(*) FROM spans WHERE parent_span_id IS NOT NULL")).isEqualTo(16);
        assertThat(cli.queryLong("SELECT count(*) FROM llm_usage WHERE flow_name = 'knowledge-qa' AND step_id = 'retrieve'"))
                .isEqualTo(4);
        assertThat(r.out()).contains("spans: 20 (one trace per run)");
        assertThat(cli.queryLong("SELECT count(*) FROM flow_events WHERE type = 'step.completed'")).isEqualTo(12);
        assertThat(cli.queryLong("SELECT count(*) FROM kv_entries WHERE \"key\" LIKE 'knowledge-qa:answer:%' AND expires_at > now()")).isEqualTo(4);
        assertThat(cli.queryLong("SELECT count(*) FROM scheduler_jobs WHERE id = 'knowledge-qa-nightly-reindex'")).isEqualTo(1);
        assertThat(cli.queryLong("SELECT count(*) FROM memory_messages m JOIN memories t ON t.id = m.memory_id"
                + " WHERE t.resource_id = 'demo-user' AND t.metadata ->> 'flow' = 'knowledge-qa'")).isEqualTo(12);
        // each run records a checkpoint per step, and `runs history` prints them newest first
        assertThat(cli.queryLong("SELECT count(*) FROM flow_checkpoints WHERE flow_name = 'knowledge-qa'")).isEqualTo(12);
        java.util.regex.Matcher hint = java.util.regex.Pattern.compile("runs history (\\S+)`").matcher(r.out());
        assertThat(hint.find()).as(r.out()).isTrue();
        CliRunner.Result history = cli.run("runs", "history", hint.group(1), "--limit", "2");
        assertThat(history.exitCode()).as(history.err() + history.out()).isZero();
        assertThat(history.out()).contains("checkpoints of run knowledge-qa/" + hint.group(1))
                .containsPattern("step +answer").containsPattern("step +rerank").doesNotContain(" retrieve ");
        assertThat(history.out().lines().filter(l -> l.matches(".* step +(answer|rerank|retrieve) .*")).count())
                .isEqualTo(2);

        // a second run reuses the stored chunks and the registrations
        CliRunner.Result again = cli.run("demo", "--corpus", dir.toString(), "--no-progress", "--questions", "2");
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.out()).contains("0 embedded and written").contains("asking 2 of 4");
        assertThat(cli.queryLong("SELECT count(*) FROM templates WHERE identifier = 'knowledge-qa-prompt'")).isEqualTo(1);
        assertThat(cli.queryLong("SELECT count(*) FROM configurations WHERE identifier = 'knowledge-qa'")).isEqualTo(2);
        assertThat(cli.queryLong("SELECT count(*) FROM flow_events WHERE type = 'step.completed' AND step_name = 'answer'"
                + " AND data #>> '{prompt}' LIKE '%Question: %Passages:%'")).isEqualTo(6);
    }

    @Test
    void demoWithoutTheManualSaysHowToInstallIt(@TempDir Path dir) {
        CliRunner.Result r = cli.run("demo", "--corpus", dir.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.CORPUS);
        assertThat(r.err()).contains("bookindex.html").contains("setup-corpus.sh");
    }
}
