package dev.agentstore.persistence.scheduler;

import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.scheduler.JobStatus;
import dev.agentstore.domain.scheduler.SchedulerJob;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.support.PageRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkDeleteRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkUpdateRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertPersistRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertRemoveRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertSameRows;
import static dev.agentstore.persistence.ReadOnlyJpa.changeAndFlush;
import static dev.agentstore.persistence.ReadOnlyJpa.criteria;
import static dev.agentstore.persistence.ReadOnlyJpa.jpql;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link SchedulerJob} is a true JPA mapping that users can query, and read-only to JPA: the repository is the only
 * writer.
 */
@ExtendWith(AgentStoreExtension.class)
class SchedulerJobJpaMappingTest {

    private static final Instant FUTURE = Instant.parse("2100-01-01T00:00:00Z");

    /** Jobs in every shape: recurring with a nested config, paused, running under a lease, failed once, disabled. */
    @BeforeEach
    void jobs(AgentStore store) {
        SchedulerSql.deleteAllJobs(store);
        store.inTransaction(uow -> {
            var jobs = uow.schedulerJobs();
            jobs.schedule("jpa-cron", "Cron", "0 * * * *", FUTURE, Json.parse("config",
                    "{\"flow\":\"etl\",\"n\":0,\"on\":false,\"s\":\"\",\"x\":null,\"deep\":{\"a\":[1,2.5,\"z\"]}}"), 5);
            jobs.schedule("jpa-paused", "Paused", null, FUTURE, null, 1);
            jobs.pause("jpa-paused");
            jobs.schedule("jpa-running", "Running", null, Instant.EPOCH, null, 3);
            jobs.schedule("jpa-disabled", "Disabled", "*/5 * * * *", FUTURE, null, 2);
            jobs.disable("jpa-disabled");
        });
        store.inTransaction(uow -> uow.schedulerJobs().claimDue("jpa-worker", 10, Duration.ofMinutes(5)));
        store.inTransaction(uow -> uow.schedulerJobs().fail("jpa-running", "jpa-worker", "first try failed"));
        store.inTransaction(uow -> uow.schedulerJobs().schedule("jpa-leased", "Leased", null, Instant.EPOCH,
                null, 3));
        store.inTransaction(uow -> uow.schedulerJobs().claimDue("jpa-worker", 1, Duration.ofMinutes(5)));
    }

    private static List<SchedulerJob> viaRepository(AgentStore store) {
        return store.schedulerJobs().list(PageRequest.of(0, 100)).items().stream()
                .map(j -> store.schedulerJobs().get(j.id()).orElseThrow())
                .sorted(Comparator.comparing(SchedulerJob::id))
                .toList();
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<SchedulerJob> jpql = jpql(store, SchedulerJob.class,
                    "SELECT j FROM SchedulerJob j WHERE j.id LIKE 'jpa-%' ORDER BY j.id");
            List<SchedulerJob> repository = viaRepository(store);

            assertSameRows(jpql, repository);
            assertThat(jpql).extracting(SchedulerJob::id)
                    .containsExactly("jpa-cron", "jpa-disabled", "jpa-leased", "jpa-paused", "jpa-running");
            assertThat(jpql.get(0).config()).isEqualTo(repository.get(0).config())
                    .isEqualTo(Json.parse("config",
                            "{\"flow\":\"etl\",\"n\":0,\"on\":false,\"s\":\"\",\"x\":null,\"deep\":{\"a\":[1,2.5,\"z\"]}}"));
            assertThat(jpql.get(2).status()).isEqualTo(JobStatus.RUNNING);
            assertThat(jpql.get(2).leaseOwner()).isEqualTo("jpa-worker");
            assertThat(jpql.get(2).leaseExpiresAt()).isEqualTo(repository.get(2).leaseExpiresAt()).isNotNull();
            assertThat(jpql.get(3).status()).isEqualTo(JobStatus.PAUSED);
            assertThat(jpql.get(4).lastError()).isEqualTo("first try failed");
            assertThat(jpql.get(4).version()).isEqualTo(2);
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<SchedulerJob> criteria = criteria(store, SchedulerJob.class,
                    (cb, query, j) -> query.where(cb.like(j.get("id"), "jpa-%")).orderBy(cb.asc(j.get("id"))));

            assertSameRows(criteria, viaRepository(store));
        }

        @Test
        void aStatusQueryReadsWhatTheRepositoryListsWithThatStatus(AgentStore store) {
            List<SchedulerJob> pending = jpql(store, SchedulerJob.class, "SELECT j FROM SchedulerJob j"
                    + " WHERE j.status = :status ORDER BY j.nextRunAt ASC NULLS LAST, j.id ASC",
                    Map.of("status", JobStatus.PENDING));

            assertSameRows(pending, store.schedulerJobs().list(JobStatus.PENDING, PageRequest.of(0, 100)).items());
            assertThat(pending).extracting(SchedulerJob::id).containsExactly("jpa-running", "jpa-cron", "jpa-disabled");
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertRemoveRefused(store, SchedulerJob.class, "jpa-cron");

            assertThat(store.schedulerJobs().get("jpa-cron")).isPresent();
        }

        @Test
        void persistIsRefusedAndNothingIsWritten(AgentStore store) {
            assertPersistRefused(store, new SchedulerJob("jpa-new", "New", null, FUTURE, null, 1, Instant.now()));

            assertThat(store.schedulerJobs().get("jpa-new")).isEmpty();
            assertThat(SchedulerSql.jobCount(store)).isEqualTo(5);
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            changeAndFlush(store, SchedulerJob.class, "jpa-cron", job -> job.pause(Instant.now()));

            SchedulerJob stored = store.schedulerJobs().get("jpa-cron").orElseThrow();
            assertThat(stored.status()).isEqualTo(JobStatus.PENDING);
            assertThat(stored.version()).isZero();
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertBulkUpdateRefused(store, SchedulerJob.class, "UPDATE SchedulerJob j SET j.enabled = false");

            assertThat(store.schedulerJobs().get("jpa-cron").orElseThrow().enabled()).isTrue();
        }

        @Test
        void aBulkDeleteIsRefused(AgentStore store) {
            assertBulkDeleteRefused(store, SchedulerJob.class, "DELETE FROM SchedulerJob j WHERE j.id LIKE 'jpa-%'");

            assertThat(SchedulerSql.jobCount(store)).isEqualTo(5);
        }
    }
}
