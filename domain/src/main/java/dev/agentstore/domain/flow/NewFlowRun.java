package dev.agentstore.domain.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.time.Instant;

/**
 * A run to create with {@code FlowRunRepository.create}, with the caller's status and timestamps, for example to
 * import runs from another store without losing their history. Build with {@link #of} and the {@code with…} methods.
 *
 * @param flowName    the flow's name, 1–255 characters
 * @param runId       the run's id within the flow, 1–255 characters
 * @param status      the status to create it in; {@link FlowRunStatus#PENDING} by default
 * @param startedAt   when it was created or started, or {@code null} for the store's clock at the write
 * @param completedAt when it reached a terminal status, or {@code null} (a terminal run then gets
 *                    its {@code updatedAt})
 * @param updatedAt   when it was last written, or {@code null} for the store's clock at the write
 * @param stepCount   how many steps it has, 0 or more, or {@code null}
 * @param resourceId  the resource it belongs to, up to 255 characters, or {@code null}
 * @param snapshot    the workflow snapshot, stored exactly (any JSON value), or {@code null} for none
 */
public record NewFlowRun(String flowName, String runId, FlowRunStatus status, Instant startedAt, Instant completedAt,
                         Instant updatedAt, Integer stepCount, String resourceId, JsonNode snapshot) {

    /**
     * @throws InvalidInputException when a component is invalid, or {@code completedAt} is given for an active
     *                               status; the message names it
     */
    public NewFlowRun {
        Check.name("flowName", flowName);
        Check.name("runId", runId);
        status = status == null ? FlowRunStatus.PENDING : status;
        Check.instant("startedAt", startedAt);
        Check.instant("completedAt", completedAt);
        Check.instant("updatedAt", updatedAt);
        if (stepCount != null) {
            Check.range("stepCount", stepCount, 0, Integer.MAX_VALUE);
        }
        resourceId = Check.optionalName("resourceId", resourceId);
        if (completedAt != null && !status.isTerminal()) {
            throw new InvalidInputException("completedAt must be null for a run in active status " + status);
        }
        snapshot = snapshot == null ? null : snapshot.deepCopy();
    }

    /**
     * @param flowName the flow's name
     * @param runId    the run's id within the flow
     * @return a pending run with the store's times and nothing else set
     */
    public static NewFlowRun of(String flowName, String runId) {
        return new NewFlowRun(flowName, runId, FlowRunStatus.PENDING, null, null, null, null, null, null);
    }

    /**
     * @param value the status
     * @return this run in that status
     */
    public NewFlowRun withStatus(FlowRunStatus value) {
        return new NewFlowRun(flowName, runId, value, startedAt, completedAt, updatedAt, stepCount, resourceId,
                snapshot);
    }

    /**
     * @param started   when it was created or started, or {@code null} for the store's clock
     * @param completed when it completed, or {@code null}
     * @param updated   when it was last written, or {@code null} for the store's clock
     * @return this run with these times
     */
    public NewFlowRun withTimes(Instant started, Instant completed, Instant updated) {
        return new NewFlowRun(flowName, runId, status, started, completed, updated, stepCount, resourceId, snapshot);
    }

    /**
     * @param value the resource, or {@code null}
     * @return this run with that resource
     */
    public NewFlowRun withResource(String value) {
        return new NewFlowRun(flowName, runId, status, startedAt, completedAt, updatedAt, stepCount, value, snapshot);
    }

    /**
     * @param value the number of steps, or {@code null}
     * @return this run with that step count
     */
    public NewFlowRun withStepCount(Integer value) {
        return new NewFlowRun(flowName, runId, status, startedAt, completedAt, updatedAt, value, resourceId, snapshot);
    }

    /**
     * @param value the snapshot, or {@code null}
     * @return this run with that snapshot
     */
    public NewFlowRun withSnapshot(JsonNode value) {
        return new NewFlowRun(flowName, runId, status, startedAt, completedAt, updatedAt, stepCount, resourceId, value);
    }
}
