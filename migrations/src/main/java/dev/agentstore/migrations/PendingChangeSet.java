package dev.agentstore.migrations;

/**
 * A change set of the agentstore changelog that has not been applied to a schema yet.
 *
 * @param id        the change set id, for example {@code 0.1-flows}
 * @param author    the change set author
 * @param changeLog the path of the changelog file that declares it, relative to the classpath
 */
public record PendingChangeSet(String id, String author, String changeLog) {
}
