package dev.agentstore.langgraph4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.flow.CheckpointSource;
import dev.agentstore.domain.flow.FlowCheckpoint;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.support.PageRequest;
import org.bsc.langgraph4j.RunnableConfig;
import org.bsc.langgraph4j.checkpoint.BaseCheckpointSaver;
import org.bsc.langgraph4j.checkpoint.Checkpoint;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * LangGraph4j's {@link BaseCheckpointSaver} over agentstore flow runs and checkpoints ({@code CheckpointRepository}).
 *
 * <p><b>Mapping.</b> The saver's graph is one registered flow ({@link #DEFAULT_FLOW} unless named; registered on
 * construction when missing). A LangGraph4j thread id is a run of that flow, created by its first {@link #put}; a
 * LangGraph4j checkpoint is an agentstore checkpoint with the same id (LangGraph4j names its checkpoints with random
 * UUIDs; an id that is not a UUID is refused), its node id as step, its next node id as the one next step, and its
 * state as {@code jsonb} (see {@link StateJson} for which values are JSON; another value is refused with {@link
 * IllegalArgumentException} naming its key before anything is written).
 *
 * <p><b>Cost.</b> {@link #put} of a new checkpoint is {@code CheckpointRepository.put}: one upsert of the run's
 * snapshot and one {@code INSERT ... SELECT} of the checkpoint from it, sent in one round trip as one implicit
 * transaction (autocommit: no {@code BEGIN}/{@code COMMIT} round trips; with {@link #asynchronousCommit}, a {@code SET
 * LOCAL} in the same round trip), returning only ids, the run's version and the time (the state is sent once and read
 * back by neither). It reads no earlier checkpoint (only the id of the newest, through an index, as parent), so a
 * step's cost does not grow with the thread's history. {@link #list} reads the whole history (keyset pages of {@value
 * PageRequest#MAX_PER_PAGE}); {@link #get} reads one checkpoint.
 *
 * <p><b>Time travel.</b> LangGraph4j's {@code updateState} puts a copy of a checkpoint X with a new id Y and the
 * config still naming X ("replace X"). Here that is agentstore's resume: the thread's run goes back to X (the
 * checkpoints after X stay as superseded history), and Y is recorded after it with {@code
 * "langgraph4j.replaces": X} in its metadata. {@link #list} then leaves X out (as LangGraph4j's savers drop a
 * replaced checkpoint) and the bookkeeping checkpoint of the resume; it lists the rest newest first, so Y comes
 * before the superseded branch, as in LangGraph4j's {@code PostgresSaver} (its {@code MemorySaver} keeps Y in X's
 * place). {@link #get} without a checkpoint id returns the thread's newest checkpoint that is not superseded.
 *
 * <p><b>Release.</b> {@link #release} completes the thread's run and tags its newest checkpoint (agentstore's
 * checkpoint release, kept by every retention policy). The history stays readable; a thread is released once
 * ({@link IllegalStateException} the second time), so a graph compiled with {@code releaseThread(true)} needs a
 * new thread id per invocation.
 *
 * <p>Each method is its own unit of work on the store ({@code AgentStore.fromTransaction}), or in a Jakarta EE
 * container ({@link JtaSaverAccess}, {@link AgentStoreLangGraph4jProducer}) its own JTA transaction or a part of the
 * caller's; thread-safe.
 */
public final class AgentStoreCheckpointSaver implements BaseCheckpointSaver {

    /** The flow name when none is given: {@value}. */
    public static final String DEFAULT_FLOW = "langgraph4j";

    /** Metadata key of a checkpoint written by {@code updateState}: the id of the checkpoint it replaces. */
    public static final String REPLACES = "langgraph4j.replaces";

    /** The release message {@link #release} stores. */
    static final String RELEASE_MESSAGE = "released by LangGraph4j";

    private final SaverAccess access;
    private final String flowName;
    private final StateJson json;
    private final boolean asynchronousCommit;

    private AgentStoreCheckpointSaver(AgentStoreCheckpointSaver saver, boolean asynchronousCommit) {
        this.access = saver.access;
        this.flowName = saver.flowName;
        this.json = saver.json;
        this.asynchronousCommit = asynchronousCommit;
    }

    private AgentStoreCheckpointSaver(SaverAccess access, String flowName, ObjectMapper mapper) {
        if (access == null) {
            throw new IllegalArgumentException("access must not be null");
        }
        if (mapper == null) {
            throw new IllegalArgumentException("mapper must not be null");
        }
        this.access = access;
        this.flowName = Check.name("flowName", flowName);
        this.json = new StateJson(mapper);
        this.asynchronousCommit = false;
        access.inTransaction(r -> {
            if (r.flows().get(flowName).isEmpty()) {
                r.flows().register(flowName, "LangGraph4j graph " + flowName, 1);
            }
            return null;
        });
    }

    /**
     * @param store an open store
     * @return a saver whose threads are runs of the flow {@value #DEFAULT_FLOW}
     * @throws IllegalArgumentException when {@code store} is {@code null}
     */
    public static AgentStoreCheckpointSaver of(AgentStore store) {
        return of(store, DEFAULT_FLOW);
    }

    /**
     * @param store    an open store
     * @param flowName the flow the graph's threads are runs of, 1–255 characters; registered when missing
     * @return the saver
     * @throws IllegalArgumentException when {@code store} is {@code null}; {@code InvalidInputException} when
     *                                  {@code flowName} is invalid
     */
    public static AgentStoreCheckpointSaver of(AgentStore store, String flowName) {
        return of(store, flowName, new ObjectMapper());
    }

    /**
     * @param store    an open store
     * @param flowName the flow the graph's threads are runs of, 1–255 characters; registered when missing
     * @param mapper   the Jackson mapper for states (for example with modules registered); still only JSON values
     *                 are accepted
     * @return the saver
     */
    public static AgentStoreCheckpointSaver of(AgentStore store, String flowName, ObjectMapper mapper) {
        return of(SaverAccess.of(store), flowName, mapper);
    }

    /**
     * A saver on other access to the store than an {@link AgentStore}: in a Jakarta EE container, an injected {@link
     * JtaSaverAccess} (each call then joins the caller's JTA transaction, or is its own).
     *
     * @param access   how the saver reaches the repositories
     * @param flowName the flow the graph's threads are runs of, 1–255 characters; registered when missing
     * @return the saver
     * @throws IllegalArgumentException when {@code access} is {@code null}; {@code InvalidInputException} when
     *                                  {@code flowName} is invalid
     */
    public static AgentStoreCheckpointSaver of(SaverAccess access, String flowName) {
        return of(access, flowName, new ObjectMapper());
    }

    /**
     * @param access   how the saver reaches the repositories
     * @param flowName the flow the graph's threads are runs of, 1–255 characters; registered when missing
     * @param mapper   the Jackson mapper for states
     * @return the saver
     * @throws IllegalArgumentException when {@code access} or {@code mapper} is {@code null}
     */
    public static AgentStoreCheckpointSaver of(SaverAccess access, String flowName, ObjectMapper mapper) {
        return new AgentStoreCheckpointSaver(access, flowName, mapper);
    }

    /**
     * A saver whose {@link #put} commits with PostgreSQL's {@code synchronous_commit} off ({@code SET LOCAL} in the
     * put's round trip, that transaction only: {@code CheckpointRepository.putAsynchronousCommit}; in a container,
     * the caller's JTA transaction when the put joins one): the commit does not wait for the WAL to reach the disk,
     * so a put costs no disk flush. A crash of the database server (not of the application) may lose the checkpoints
     * of the last moments (at most about three times {@code wal_writer_delay}, 600 ms by default), never corrupt or
     * half-write one; LangGraph4j then resumes from an earlier checkpoint and redoes those steps. Off by default.
     *
     * @param on whether puts commit asynchronously
     * @return a saver like this one with that setting
     */
    public AgentStoreCheckpointSaver asynchronousCommit(boolean on) {
        return new AgentStoreCheckpointSaver(this, on);
    }

    /** @return the flow this saver's threads are runs of */
    public String flowName() {
        return flowName;
    }

    /**
     * The thread's checkpoints, newest first, without the ones {@code updateState} replaced.
     *
     * @param config names the thread (LangGraph4j's default thread when it names none)
     * @return the checkpoints; empty for a thread without any
     */
    @Override
    public Collection<Checkpoint> list(RunnableConfig config) {
        String runId = threadId(config);
        List<FlowCheckpoint> rows = new ArrayList<>();
        UUID before = null;
        while (true) {
            List<FlowCheckpoint> page = access.perCall().checkpoints()
                    .history(flowName, runId, before, PageRequest.MAX_PER_PAGE);
            rows.addAll(page);
            if (page.size() < PageRequest.MAX_PER_PAGE) {
                break;
            }
            before = page.get(page.size() - 1).checkpointId();
        }
        Set<String> replaced = new HashSet<>();
        rows.forEach(row -> replaced(row).ifPresent(replaced::add));
        return rows.stream()
                .filter(row -> row.source() != CheckpointSource.RESUME)
                .filter(row -> !replaced.contains(row.checkpointId().toString()))
                .map(this::checkpoint)
                .toList();
    }

    /**
     * @param config names the thread and, optionally, a checkpoint
     * @return the named checkpoint when it is the thread's; without a checkpoint id, the thread's newest checkpoint
     *         that is not superseded; empty when there is none (or the id is not a UUID)
     */
    @Override
    public Optional<Checkpoint> get(RunnableConfig config) {
        String runId = threadId(config);
        Optional<String> id = config.checkPointId();
        if (id.isEmpty()) {
            return access.perCall().checkpoints().latest(flowName, runId).map(this::checkpoint);
        }
        return uuid(id.get())
                .flatMap(access.perCall().checkpoints()::get)
                .filter(row -> row.flowName().equals(flowName) && row.runId().equals(runId))
                .map(this::checkpoint);
    }

    /**
     * Adds a checkpoint to the thread (creating its run), or, when {@code config} names a checkpoint X (LangGraph4j's
     * {@code updateState}), resumes the thread from X and records {@code checkpoint} after it as X's replacement.
     *
     * @param config     names the thread and, for a replacement, the checkpoint replaced
     * @param checkpoint the checkpoint; its id must be a UUID not used yet
     * @return a config naming the new checkpoint; for a replacement, {@code config}
     * @throws IllegalArgumentException when the checkpoint's id is not a UUID or a state value is not JSON; nothing
     *                                  is written
     */
    @Override
    public RunnableConfig put(RunnableConfig config, Checkpoint checkpoint) {
        if (checkpoint == null) {
            throw new IllegalArgumentException("checkpoint must not be null");
        }
        String runId = threadId(config);
        UUID id = uuid(checkpoint.getId()).orElseThrow(() -> new IllegalArgumentException("checkpoint.id '"
                + checkpoint.getId() + "' is not a UUID: agentstore keys checkpoints by UUID (LangGraph4j's own ids are"
                + " random UUIDs)"));
        JsonNode state = json.toJson(checkpoint.getState());
        List<String> next = List.of(checkpoint.getNextNodeId());
        Optional<String> replaced = config.checkPointId();
        if (replaced.isEmpty()) {
            if (asynchronousCommit) {
                access.perCall().checkpoints().putAsynchronousCommit(flowName, runId, id, state,
                        checkpoint.getNodeId(), next, null);
            } else {
                access.perCall().checkpoints().put(flowName, runId, id, state, checkpoint.getNodeId(), next, null);
            }
            return RunnableConfig.builder(config).checkPointId(checkpoint.getId()).build();
        }
        UUID target = uuid(replaced.get()).orElseThrow(() -> new IllegalArgumentException("config.checkPointId '"
                + replaced.get() + "' is not a UUID"));
        ObjectNode metadata = JsonNodeFactory.instance.objectNode().put(REPLACES, target.toString());
        access.inTransaction(r -> {
            r.checkpoints().resume(flowName, runId, target);
            return r.checkpoints().put(flowName, runId, id, state, checkpoint.getNodeId(), next, metadata);
        });
        return config;
    }

    /**
     * Completes the thread's run (when it is not finished yet) and tags its newest checkpoint as released.
     *
     * @param config names the thread
     * @return the thread and its checkpoints as {@link #list} gives them
     * @throws IllegalStateException                       when the thread was released already
     * @throws dev.agentstore.domain.NotFoundException     when the thread has no checkpoint
     */
    @Override
    public Tag release(RunnableConfig config) {
        String runId = threadId(config);
        access.inTransaction(r -> {
            if (r.checkpoints().released(flowName, runId).isPresent()) {
                throw new IllegalStateException("thread '" + runId + "' of flow '" + flowName
                        + "' was released already: a released thread is kept as history, use a new thread id");
            }
            r.runs().get(flowName, runId)
                    .filter(run -> !run.status().isTerminal())
                    .ifPresent(run -> r.runs().transition(flowName, runId, FlowRunStatus.COMPLETED));
            return r.checkpoints().release(flowName, runId, RELEASE_MESSAGE);
        });
        return new Tag(runId, list(config));
    }

    private Checkpoint checkpoint(FlowCheckpoint row) {
        JsonNode next = row.nextSteps();
        return Checkpoint.builder()
                .id(row.checkpointId().toString())
                .nodeId(row.stepId())
                .nextNodeId(next != null && next.size() > 0 ? next.get(0).asText() : null)
                .state(json.toState(row.state()))
                .build();
    }

    private static Optional<String> replaced(FlowCheckpoint row) {
        JsonNode metadata = row.metadata();
        JsonNode target = metadata == null ? null : metadata.get(REPLACES);
        return target == null || !target.isTextual() ? Optional.empty() : Optional.of(target.asText());
    }

    private static Optional<UUID> uuid(String id) {
        try {
            return Optional.of(UUID.fromString(id));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
