package dev.agentstore.persistence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private PostgreSQL 15 cluster for tests that stop, kill, freeze or reconfigure the server: created with
 * {@code initdb} in a temporary directory, run as the OS user {@code postgres} (tests run as root), listening on
 * {@code 127.0.0.1} on a free port (never 5432) and on a Unix socket in its own directory. The superuser is
 * {@code postgres}; TCP connections use trust authentication unless {@link Builder#hba(String...)} replaces the
 * TCP lines of {@code pg_hba.conf} (for example with {@code hostssl} lines). Administrative calls
 * ({@link #createDatabase(String)}, {@link #sql(String, String)}) go through {@code psql} on the Unix socket, so
 * they work whatever the TCP rules are.
 *
 * <p>Use it in try-with-resources or close it in {@code @AfterAll}: {@link #close()} stops the server and deletes the
 * directory; a JVM shutdown hook does the same if a test run is cut short. Methods are synchronized; one instance
 * may be shared by the threads of a test. Every wait has a deadline; a failure throws {@link IllegalStateException}
 * carrying the command's output and the end of the server log.
 */
public final class LocalCluster implements AutoCloseable {

    /** The directory holding PostgreSQL 15's server programs. */
    public static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");
    /** The superuser of the cluster. */
    public static final String SUPERUSER = "postgres";

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final int START_ATTEMPTS = 5;

    /** How {@link #stop(StopMode)} shuts the server down: {@code pg_ctl stop -m fast} or {@code -m immediate}. */
    public enum StopMode {
        /** Roll back open transactions, disconnect clients, checkpoint, exit. */
        FAST,
        /** Exit at once; the next start runs crash recovery. */
        IMMEDIATE
    }

    private final Path dir;
    private final Path data;
    private final Path log;
    private final List<String> config;
    private final List<String> hba;
    private int port;
    private boolean running;
    private boolean frozen;
    private final Thread shutdownHook;

    private LocalCluster(Builder builder) {
        this.config = List.copyOf(builder.config);
        this.hba = List.copyOf(builder.hba);
        try {
            this.dir = Files.createTempDirectory("agentstore-pg-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.data = dir.resolve("data");
        this.log = dir.resolve("server.log");
        this.shutdownHook = new Thread(this::closeQuietly, "LocalCluster-" + dir.getFileName());
    }

    /** @return a builder for a cluster with the default settings */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Creates and starts a cluster with the default settings.
     *
     * @return the running cluster
     * @throws IllegalStateException when initdb or the start fails
     */
    public static LocalCluster start() {
        return builder().start();
    }

    /** Settings of a {@link LocalCluster}; not thread-safe. */
    public static final class Builder {
        private final List<String> config = new ArrayList<>();
        private final List<String> hba = new ArrayList<>();

        private Builder() {
        }

        /**
         * @param lines lines appended to {@code postgresql.conf}, for example {@code "ssl = on"}; relative file names
         *              (such as {@code ssl_cert_file}) are relative to the data directory
         * @return this builder
         */
        public Builder config(String... lines) {
            config.addAll(List.of(lines));
            return this;
        }

        /**
         * @param lines {@code pg_hba.conf} lines replacing the default TCP rules ({@code host all all 127.0.0.1/32
         *              trust} and the same for {@code ::1}); the Unix-socket rule {@code local all all trust} is
         *              always kept, for the cluster's own administration
         * @return this builder
         */
        public Builder hba(String... lines) {
            hba.addAll(List.of(lines));
            return this;
        }

        /**
         * Runs {@code initdb}, writes the configuration and starts the server.
         *
         * @return the running cluster
         * @throws IllegalStateException when initdb or the start fails
         */
        public LocalCluster start() {
            return init(new LocalCluster(this), List.of());
        }

        /**
         * Like {@link #start()}, but copies {@code files} into the data directory (owned by {@code postgres},
         * mode 0600) before the first start: server keys and certificates.
         *
         * @param files files to copy, under their own names
         * @return the running cluster
         * @throws IllegalStateException when initdb or the start fails
         */
        public LocalCluster start(Path... files) {
            return init(new LocalCluster(this), List.of(files));
        }

        private static LocalCluster init(LocalCluster cluster, List<Path> files) {
            try {
                cluster.initdb(files);
                cluster.startWithFreePort();
                return cluster;
            } catch (RuntimeException e) {
                cluster.closeQuietly();
                throw e;
            }
        }
    }

    /** @return the TCP port the server listens on (on 127.0.0.1) */
    public synchronized int port() {
        return port;
    }

    /** @return the directory of the cluster's files (data directory, log, socket) */
    public Path directory() {
        return dir;
    }

    /** @return the data directory */
    public Path dataDirectory() {
        return data;
    }

    /**
     * @param database a database name
     * @return {@code jdbc:postgresql://127.0.0.1:<port>/<database>} (connect as {@link #SUPERUSER}, no password)
     */
    public synchronized String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /**
     * Creates a database owned by {@link #SUPERUSER} with the {@code vector} extension.
     *
     * @param name a database name: lower-case letters, digits and underscores
     * @return the JDBC URL of the new database
     * @throws IllegalArgumentException when the name is not plain
     * @throws IllegalStateException    when psql fails
     */
    public synchronized String createDatabase(String name) {
        if (!name.matches("[a-z_][a-z0-9_]{0,62}")) {
            throw new IllegalArgumentException("database name must be lower-case letters, digits and underscores: " + name);
        }
        sql("postgres", "CREATE DATABASE " + name);
        sql(name, "CREATE EXTENSION IF NOT EXISTS vector");
        return jdbcUrl(name);
    }

    /**
     * Runs SQL as the superuser through {@code psql} on the Unix socket (stops at the first error).
     *
     * @param database the database
     * @param sql      one or more statements, trusted test text
     * @return psql's output (unaligned, tuples only)
     * @throws IllegalStateException when psql fails or the server is not running
     */
    public synchronized String sql(String database, String sql) {
        return run(DEADLINE, "runuser", "-u", SUPERUSER, "--", BIN.resolve("psql").toString(), "-X", "-q", "-A", "-t",
                "-v", "ON_ERROR_STOP=1", "-h", dir.toString(), "-p", Integer.toString(port), "-U", SUPERUSER,
                "-d", database, "-c", sql);
    }

    /**
     * Starts the stopped or killed server on the same port and waits until it accepts connections (crash recovery
     * included, after {@link #kill9()} or an immediate stop).
     *
     * @throws IllegalStateException when the server does not become ready within 60 s
     */
    public synchronized void restart() {
        if (running) {
            throw new IllegalStateException("the server is running; stop or kill it first, or use restart(StopMode)");
        }
        startOnce();
    }

    /**
     * Stops the server, then starts it again on the same port.
     *
     * @param mode how to stop
     * @throws IllegalStateException when a step fails or takes more than 60 s
     */
    public synchronized void restart(StopMode mode) {
        stop(mode);
        startOnce();
    }

    /**
     * Stops the server with {@code pg_ctl stop} and waits until it is down. Thaws a frozen server first.
     *
     * @param mode how to stop
     * @throws IllegalStateException when the server is not down within 60 s
     */
    public synchronized void stop(StopMode mode) {
        if (frozen) {
            thaw();
        }
        pgCtl("stop", "-m", mode.name().toLowerCase(Locale.ROOT));
        running = false;
    }

    /**
     * Kills the postmaster and every process it started with SIGKILL, as a machine crash would leave the server: no
     * shutdown checkpoint, open connections see their socket closed. {@link #restart()} then runs crash recovery.
     *
     * @throws IllegalStateException when a process is still alive after 60 s
     */
    public synchronized void kill9() {
        ProcessHandle postmaster = postmaster();
        List<ProcessHandle> children = postmaster.descendants().toList();
        signal("KILL", postmaster);
        children.forEach(child -> signal("KILL", child));
        awaitExit(postmaster);
        children.forEach(this::awaitExit);
        running = false;
        frozen = false;
    }

    /**
     * Sends SIGSTOP to the postmaster and every process it started: the server keeps its sockets open but answers
     * nothing, as a frozen host or a network partition would. Calls then wait until a client-side timeout fires.
     *
     * @throws IllegalStateException when the server is not running
     */
    public synchronized void freeze() {
        ProcessHandle postmaster = postmaster();
        signal("STOP", postmaster); // first, so it forks no new child meanwhile
        postmaster.descendants().forEach(child -> signal("STOP", child));
        frozen = true;
    }

    /** Sends SIGCONT to the processes {@link #freeze()} stopped; the server carries on where it was. */
    public synchronized void thaw() {
        ProcessHandle postmaster = postmaster();
        postmaster.descendants().forEach(child -> signal("CONT", child));
        signal("CONT", postmaster);
        frozen = false;
    }

    /**
     * @return the last 4,000 characters of the server log, for assertion messages
     */
    public String logTail() {
        try {
            String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Thaws, stops (immediate; SIGKILL if that fails) and deletes the cluster's directory. Idempotent. */
    @Override
    public synchronized void close() {
        closeQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException | IllegalArgumentException ignored) {
            // the JVM is shutting down, or the hook was never registered
        }
    }

    private synchronized void closeQuietly() {
        if (running) {
            try {
                stop(StopMode.IMMEDIATE);
            } catch (RuntimeException e) {
                try {
                    kill9();
                } catch (RuntimeException ignored) {
                    // the directory is deleted below; nothing else to do
                }
            }
        }
        running = false;
        if (Files.exists(dir)) {
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException | UncheckedIOException ignored) {
                // a temp directory left behind is not a test failure
            }
        }
    }

    private void initdb(List<Path> files) {
        run(DEADLINE, "chown", SUPERUSER + ":" + SUPERUSER, dir.toString());
        run(DEADLINE, "runuser", "-u", SUPERUSER, "--", BIN.resolve("initdb").toString(), "-D", data.toString(),
                "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync");
        try {
            List<String> conf = new ArrayList<>(List.of(
                    "listen_addresses = '127.0.0.1'",
                    "unix_socket_directories = '" + dir + "'",
                    "max_connections = 50",
                    "shared_buffers = 32MB",
                    "logging_collector = off"));
            conf.addAll(config);
            Files.writeString(data.resolve("postgresql.conf"), "\n" + String.join("\n", conf) + "\n",
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
            List<String> rules = new ArrayList<>(List.of("local all all trust"));
            rules.addAll(hba.isEmpty()
                    ? List.of("host all all 127.0.0.1/32 trust", "host all all ::1/128 trust")
                    : hba);
            Files.writeString(data.resolve("pg_hba.conf"), String.join("\n", rules) + "\n", StandardCharsets.UTF_8);
            for (Path file : files) {
                Path target = data.resolve(file.getFileName().toString());
                Files.copy(file, target);
                run(DEADLINE, "chown", SUPERUSER + ":" + SUPERUSER, target.toString());
                run(DEADLINE, "chmod", "600", target.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void startWithFreePort() {
        for (int attempt = 1; ; attempt++) {
            port = freePort();
            try {
                startOnce();
                Runtime.getRuntime().addShutdownHook(shutdownHook);
                return;
            } catch (IllegalStateException e) {
                // another process may have taken the port between the probe and the start
                boolean portTaken = logTail().contains("could not bind") || logTail().contains("could not create any TCP/IP");
                if (!portTaken || attempt == START_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private void startOnce() {
        pgCtl("start", "-o", "-p " + port, "-l", log.toString());
        running = true;
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (true) {
            try {
                run(Duration.ofSeconds(10), BIN.resolve("pg_isready").toString(), "-h", "127.0.0.1",
                        "-p", Integer.toString(port), "-t", "5");
                return;
            } catch (IllegalStateException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                sleep(100);
            }
        }
    }

    private void pgCtl(String action, String... args) {
        List<String> command = new ArrayList<>(List.of("runuser", "-u", SUPERUSER, "--",
                BIN.resolve("pg_ctl").toString(), action, "-D", data.toString(), "-w", "-t",
                Long.toString(DEADLINE.toSeconds())));
        command.addAll(List.of(args));
        run(DEADLINE.plusSeconds(10), command.toArray(String[]::new));
    }

    private ProcessHandle postmaster() {
        try {
            String first = Files.readAllLines(data.resolve("postmaster.pid"), StandardCharsets.US_ASCII).get(0).trim();
            return ProcessHandle.of(Long.parseLong(first))
                    .orElseThrow(() -> new IllegalStateException("the postmaster " + first + " is not running"));
        } catch (IOException e) {
            throw new IllegalStateException("the server is not running (no postmaster.pid)", e);
        }
    }

    private void signal(String signal, ProcessHandle process) {
        if (process.isAlive()) {
            try {
                run(Duration.ofSeconds(10), "kill", "-" + signal, Long.toString(process.pid()));
            } catch (IllegalStateException e) {
                if (process.isAlive()) {
                    throw e;
                }
            }
        }
    }

    private void awaitExit(ProcessHandle process) {
        try {
            process.onExit().get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("process " + process.pid() + " still alive after SIGKILL");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String run(Duration timeout, String... command) {
        try {
            Path out = Files.createTempFile("agentstore-pg-cmd-", ".out");
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(out.toFile()).start();
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeout
                            + "\n" + Files.readString(out) + "\n--- server log ---\n" + logTail());
                }
                String output = Files.readString(out, StandardCharsets.UTF_8);
                if (process.exitValue() != 0) {
                    throw new IllegalStateException(String.join(" ", command) + " exited with " + process.exitValue()
                            + "\n" + output + "\n--- server log ---\n" + logTail());
                }
                return output;
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command[0], e);
        }
    }

    private static int freePort() {
        for (int i = 0; i < 100; i++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                int candidate = socket.getLocalPort();
                if (candidate != 5432) {
                    return candidate;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no free port");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
