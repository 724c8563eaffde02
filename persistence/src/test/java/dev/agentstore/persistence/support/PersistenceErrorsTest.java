package dev.agentstore.persistence.support;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.TransientDataAccessException;
import jakarta.persistence.LockTimeoutException;
import jakarta.persistence.PessimisticLockException;
import jakarta.persistence.RollbackException;
import org.hibernate.exception.GenericJDBCException;
import org.hibernate.exception.JDBCConnectionException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The SQL states that cannot be provoked on the shared server without disturbing it (57P02, 57P03, 53300, 08001...)
 * and Hibernate's wrappers without a SQL state, as the driver and Hibernate deliver them. {@code TransientFailureTest}
 * and {@code ServerRestartFaultTest} provoke the real conditions.
 */
class PersistenceErrorsTest {

    private static final String OP = "update FlowRun etl/run-1";

    /** As Hibernate delivers a statement's SQLException: wrapped, with the statement text in its own message. */
    private static RuntimeException withState(String state, String message) {
        SQLException sql = new SQLException(message + "\n  Detail: key (id)=(top-secret)", state);
        return new GenericJDBCException("could not execute statement [" + message + "] [update flow_runs set"
                + " data='top-secret' where id=?]", sql);
    }

    @Nested
    class InsideATransaction {

        @ParameterizedTest(name = "{0} {1}")
        @CsvSource({
                "08006, connection lost",
                "08003, connection lost",
                "08000, connection lost",
                "08001, could not connect",
                "57P01, server shutting down",
                "57P02, server shutting down",
                "57P03, cannot connect now",
                "53300, too many connections",
                "57014, statement timeout",
                "55P03, lock timeout"})
        void transientStatesAreRetrySafeAndNameTheOperation(String state, String what) {
            AgentStoreException e = PersistenceErrors.translate(OP, withState(state, "ERROR: something"));
            assertThat(e).isExactlyInstanceOf(TransientDataAccessException.class);
            TransientDataAccessException t = (TransientDataAccessException) e;
            assertThat(t.operation()).isEqualTo(OP);
            assertThat(t.retrySafe()).isTrue();
            assertThat(t.getMessage()).startsWith(OP + ": ").contains(what).contains("SQL state " + state)
                    .contains("retrying is safe").doesNotContain("top-secret").doesNotContain("update flow_runs");
        }

        @ParameterizedTest
        @CsvSource({"40001, serialization failure", "40P01, deadlock"})
        void conflictsAreConcurrencyConflicts(String state, String what) {
            AgentStoreException e = PersistenceErrors.translate(OP, withState(state, "ERROR: x"));
            assertThat(e).isExactlyInstanceOf(ConcurrencyConflictException.class);
            assertThat(((TransientDataAccessException) e).retrySafe()).isTrue();
            assertThat(((TransientDataAccessException) e).operation()).isEqualTo(OP);
            assertThat(e.getMessage()).contains(what).doesNotContain("top-secret");
        }

        @Test
        void pgjdbcConnectionFailureIsConnectionLost() {
            AgentStoreException e = PersistenceErrors.translate(OP, new JDBCConnectionException("x",
                    new PSQLException("An I/O error occurred while sending to the backend.", PSQLState.CONNECTION_FAILURE)));
            assertThat(e).isExactlyInstanceOf(TransientDataAccessException.class)
                    .hasMessageContaining("connection lost").hasMessageContaining("08006");
        }

        @Test
        void poolTimeoutNamesThePoolAndTheLastConnectFailure() {
            var pool = new SQLTransientConnectionException("agentstore - Connection is not available, request timed"
                    + " out after 250ms (total=1, active=1, idle=0, waiting=0)", "08001",
                    new PSQLException("Connection to 127.0.0.1:1 refused.", PSQLState.CONNECTION_UNABLE_TO_CONNECT));
            AgentStoreException e = PersistenceErrors.translate(OP, new JDBCConnectionException("Unable to acquire"
                    + " JDBC Connection", pool));
            assertThat(e).isExactlyInstanceOf(TransientDataAccessException.class)
                    .hasMessageContaining("no connection available").hasMessageContaining("request timed out")
                    .hasMessageContaining("refused");
            assertThat(((TransientDataAccessException) e).retrySafe()).isTrue();
        }

        @Test
        void lockWrappersWithoutASqlStateAreLockNotAvailableNotConflicts() {
            for (RuntimeException wrapper : new RuntimeException[]{new LockTimeoutException("x"),
                    new PessimisticLockException("x")}) {
                AgentStoreException e = PersistenceErrors.translate(OP, wrapper);
                assertThat(e).isExactlyInstanceOf(TransientDataAccessException.class)
                        .hasMessageContaining("lock not available");
            }
        }

        @Test
        void aLockTimeoutWrappedAsPessimisticLockExceptionIsNotAConflict() {
            AgentStoreException e = PersistenceErrors.translate(OP, new PessimisticLockException("x",
                    withState("55P03", "ERROR: canceling statement due to lock timeout")));
            assertThat(e).isExactlyInstanceOf(TransientDataAccessException.class).hasMessageContaining("lock timeout");
        }

        @Test
        void aDeadlockWrappedAsOptimisticLockExceptionIsADeadlock() {
            AgentStoreException e = PersistenceErrors.translate(OP, new jakarta.persistence.OptimisticLockException(
                    "x", withState("40P01", "ERROR: deadlock detected")));
            assertThat(e).isExactlyInstanceOf(ConcurrencyConflictException.class).hasMessageContaining("deadlock");
        }

        @Test
        void aVersionCheckIsAConflict() {
            AgentStoreException e = PersistenceErrors.translate(OP, new jakarta.persistence.OptimisticLockException("x"));
            assertThat(e).isExactlyInstanceOf(ConcurrencyConflictException.class)
                    .hasMessage(OP + ": modified concurrently; the transaction did not commit: retrying is safe");
        }

        @Test
        void otherStatesStayTheirTypes() {
            assertThat(PersistenceErrors.translate(OP, withState("23505", "ERROR: dup")))
                    .isExactlyInstanceOf(DuplicateException.class);
            assertThat(PersistenceErrors.translate(OP, withState("42P01", "ERROR: no such table")))
                    .isExactlyInstanceOf(AgentStoreException.class);
        }
    }

    @Nested
    class DuringACommitOrAnAutocommitStatement {

        @ParameterizedTest
        @CsvSource({"08006", "08003", "08000", "57P01", "57P02"})
        void aLostConnectionLeavesTheOutcomeUnknown(String state) {
            AgentStoreException e = PersistenceErrors.translateOutcomeUnknown("commit of unit of work",
                    new RollbackException("Error while committing", withState(state, "FATAL: gone")));
            assertThat(e).isExactlyInstanceOf(TransientDataAccessException.class);
            TransientDataAccessException t = (TransientDataAccessException) e;
            assertThat(t.retrySafe()).isFalse();
            assertThat(t.operation()).isEqualTo("commit of unit of work");
            assertThat(t.getMessage()).contains("the outcome is unknown: check before retrying")
                    .doesNotContain("retrying is safe").doesNotContain("top-secret");
        }

        @Test
        void aRepositorysTranslationKeepsItsOperation() {
            AgentStoreException inStatement = PersistenceErrors.translate("append FlowEvent run=r1 type=t",
                    withState("08006", "An I/O error occurred"));
            TransientDataAccessException e = (TransientDataAccessException) PersistenceErrors.translateOutcomeUnknown(
                    "FlowEventRepository.append", inStatement);
            assertThat(e.retrySafe()).isFalse();
            assertThat(e.operation()).isEqualTo("append FlowEvent run=r1 type=t");
        }

        @ParameterizedTest
        @CsvSource({"08001", "57P03", "53300", "57014", "55P03"})
        void failuresBeforeSendingOrReportedByTheServerStayRetrySafe(String state) {
            AgentStoreException e = PersistenceErrors.translateOutcomeUnknown("commit of unit of work",
                    withState(state, "ERROR: x"));
            assertThat(((TransientDataAccessException) e).retrySafe()).isTrue();
        }

        @Test
        void aPoolTimeoutStaysRetrySafe() {
            var pool = new SQLTransientConnectionException("timed out", "08006");
            AgentStoreException e = PersistenceErrors.translateOutcomeUnknown("x", new JDBCConnectionException("y", pool));
            assertThat(((TransientDataAccessException) e).retrySafe()).isTrue();
        }

        @Test
        void aConflictReportedAtCommitStaysARetrySafeConflict() {
            AgentStoreException e = PersistenceErrors.translateOutcomeUnknown("commit of unit of work",
                    withState("40001", "ERROR: could not serialize access"));
            assertThat(e).isExactlyInstanceOf(ConcurrencyConflictException.class);
            assertThat(((TransientDataAccessException) e).retrySafe()).isTrue();
        }
    }
}
