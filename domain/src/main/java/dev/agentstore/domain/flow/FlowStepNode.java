package dev.agentstore.domain.flow;

import java.util.List;

/**
 * A step in the tree of a run's steps, with its children in creation order.
 *
 * @param step     the step
 * @param children its child steps' nodes, in creation order; empty for a leaf
 */
public record FlowStepNode(FlowStep step, List<FlowStepNode> children) {

    /** Copies the children. */
    public FlowStepNode {
        children = List.copyOf(children);
    }
}
