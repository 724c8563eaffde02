package dev.agentstore.persistence;

import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.TransientDataAccessException;

import java.util.function.Supplier;

/**
 * What a standalone {@link AgentStore} does around each of its units of work, the one way its calls are measured:
 * every per-call repository method ({@code store.kv().set(…)}) and every {@code inTransaction}/{@code fromTransaction}
 * passes {@link AgentStore}'s {@code fromTransaction(operation, work)}, which hands it to {@link #observe}. With
 * neither {@link AgentStoreConfig.Builder#meterRegistry} nor {@link AgentStoreConfig.Builder#openTelemetry} set it is
 * {@link #NONE}; the implementations that use Micrometer ({@link MicrometerCalls}) and OpenTelemetry
 * ({@link OpenTelemetryCalls}) are loaded only when configured, so neither library is needed otherwise.
 * Implementations are thread-safe.
 */
interface CallObserver {

    /** Outcome tag of a call that returned. */
    String SUCCESS = "success";
    /** Outcome tag of a lost race ({@link ConcurrencyConflictException}). */
    String CONFLICT = "conflict";

    /** Observes nothing. */
    CallObserver NONE = new CallObserver() {
        @Override
        public <T> T observe(Call call, Supplier<T> work) {
            return work.get();
        }

        @Override
        public void retried(Call call, int retries) {
        }
    };

    /**
     * Runs {@code work}, measuring it as {@code call}; what it returns or throws passes unchanged.
     *
     * @param call the repository and method (or {@link Call#UNIT_OF_WORK})
     * @param work the call, including its begin and commit
     * @return what {@code work} returned
     */
    <T> T observe(Call call, Supplier<T> work);

    /**
     * Counts the attempts of a retried unit of work beyond its first.
     *
     * @param call    what was retried
     * @param retries the attempts after the first, at least 1
     */
    void retried(Call call, int retries);

    /**
     * @param config the store's settings
     * @param name   the store's name, the tag {@code store} of its meters ({@link StoreNames#claim})
     * @return the observer of {@code config}'s meter registry and OpenTelemetry, or {@link #NONE} when neither is set
     */
    static CallObserver of(AgentStoreConfig config, String name) {
        Telemetry telemetry = config.telemetry();
        CallObserver observer = NONE;
        if (telemetry.meterRegistry() != null) {
            observer = MicrometerCalls.create(telemetry.meterRegistry(), name);
        }
        if (telemetry.openTelemetry() != null) {
            CallObserver inner = observer;
            CallObserver tracing = OpenTelemetryCalls.create(telemetry.openTelemetry(),
                    OpenTelemetryCalls.namespace(config.jdbcUrl(), config.schema()));
            observer = inner == NONE ? tracing : new CallObserver() {
                @Override
                public <T> T observe(Call call, Supplier<T> work) {
                    return tracing.observe(call, () -> inner.observe(call, work));
                }

                @Override
                public void retried(Call call, int retries) {
                    tracing.retried(call, retries);
                    inner.retried(call, retries);
                }
            };
        }
        return observer;
    }

    /**
     * @param failure what the call threw, {@code null} when it returned
     * @return the outcome tag: {@code success}, {@code conflict}, {@code transient} (another
     *         {@link TransientDataAccessException}), {@code not_found}, {@code duplicate}, {@code invalid_input} or
     *         {@code error} (anything else)
     */
    static String outcome(Throwable failure) {
        if (failure == null) {
            return SUCCESS;
        }
        if (failure instanceof ConcurrencyConflictException) {
            return CONFLICT;
        }
        if (failure instanceof TransientDataAccessException) {
            return "transient";
        }
        if (failure instanceof NotFoundException) {
            return "not_found";
        }
        if (failure instanceof DuplicateException) {
            return "duplicate";
        }
        return failure instanceof InvalidInputException ? "invalid_input" : "error";
    }

    /**
     * One kind of call: a repository method, or a unit of work.
     *
     * @param repository the repository's simple class name, for example {@code KvRepository}, or {@code UnitOfWork}
     * @param method     the method name, for example {@code set}, or {@code transaction}
     */
    record Call(String repository, String method) {

        /** A unit of work ({@code inTransaction}, {@code fromTransaction}, {@code fromTransactionWithRetry}). */
        static final Call UNIT_OF_WORK = new Call("UnitOfWork", "transaction");

        /**
         * @param operation {@code Repository.method} as {@link PerCallRepository} names a call, or anything else for
         *                  a unit of work
         * @return the call
         */
        static Call of(String operation) {
            int dot = operation.indexOf('.');
            return dot < 0 ? UNIT_OF_WORK : new Call(operation.substring(0, dot), operation.substring(dot + 1));
        }
    }
}
