package dev.agentstore.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Command-line options of {@code bin/agentstore-bench}. */
final class Options {

    static final String USAGE = """
            usage: agentstore-bench [--scale S | --quick] [--seed N] [--pool N] [--workloads W1,W2,...]
                                    [--out DIR] [--warmup-scale S | --no-warmup] [--repeat N] [--keep-schema]
                                    [--url JDBC_URL] [--user U] [--password P]
              --scale S         multiplies every (scaled) count of WORKLOADS.md (default 1)
              --quick           --scale 0.05 (CI smoke run)
              --seed N          PRNG seed (default 42)
              --pool N          connections per pool, agentstore and baseline each (default 16)
              --workloads LIST  comma-separated W1..W9, ANN, BLOBS, or single phases such as W1.jdbc (default W1..W9)
              --out DIR         where latest.md, latest.png and the JSON lines go (default bench/results)
              --warmup-scale S  scale of the separate warm-up pass (default scale / 4); --no-warmup skips it
              --repeat N        runs the measured pass N times (1 to 9, default 1) and reports, per phase, the
                                pass with the median ops/s; every pass's line stays in latest.jsonl
              --keep-schema     do not drop the run's schema at the end
              --ann-queries N   fashion-mnist test queries for ANN (default 1000, at most 10000)
              --ann-manual-schema S  schema of the main job's pg15_manual knowledge base (default agentstore)
              --ann-maintenance-work-mem M  session maintenance_work_mem for the HNSW build (default 1GB)
              --render FILE     only re-render latest.md and latest.png into --out from a JSON-lines file
              database: --url/--user/--password or AGENTSTORE_DB_URL/_USER/_PASSWORD
                        (default jdbc:postgresql://127.0.0.1:5432/agentstore, agentstore/agentstore)
            """;

    double scale = 1;
    long seed = 42;
    int pool = 16;
    List<String> workloads = new ArrayList<>(List.of("W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9"));
    Path out = Path.of("bench/results");
    Double warmupScale;
    boolean noWarmup;
    boolean keepSchema;
    int repeat = 1;
    Path render;
    int annQueries = 1000;
    String annMaintenanceWorkMem = "1GB";
    String annManualSchema = "agentstore";
    String url = env("AGENTSTORE_DB_URL", "jdbc:postgresql://127.0.0.1:5432/agentstore");
    String user = env("AGENTSTORE_DB_USER", "agentstore");
    String password = env("AGENTSTORE_DB_PASSWORD", "agentstore");

    static Options parse(String[] args) {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--scale" -> o.scale = Double.parseDouble(value(args, ++i, a));
                case "--quick" -> o.scale = 0.05;
                case "--seed" -> o.seed = Long.parseLong(value(args, ++i, a));
                case "--pool" -> o.pool = Integer.parseInt(value(args, ++i, a));
                case "--workloads" -> {
                    o.workloads = new ArrayList<>();
                    for (String w : value(args, ++i, a).split(",")) {
                        if (!w.isBlank()) {
                            o.workloads.add(w.trim().toUpperCase(Locale.ROOT).replace(".JDBC", ".jdbc"));
                        }
                    }
                }
                case "--out" -> o.out = Path.of(value(args, ++i, a));
                case "--warmup-scale" -> o.warmupScale = Double.parseDouble(value(args, ++i, a));
                case "--no-warmup" -> o.noWarmup = true;
                case "--keep-schema" -> o.keepSchema = true;
                case "--repeat" -> o.repeat = Integer.parseInt(value(args, ++i, a));
                case "--render" -> o.render = Path.of(value(args, ++i, a));
                case "--ann-queries" -> o.annQueries = Integer.parseInt(value(args, ++i, a));
                case "--ann-maintenance-work-mem" -> o.annMaintenanceWorkMem = value(args, ++i, a);
                case "--ann-manual-schema" -> o.annManualSchema = value(args, ++i, a);
                case "--url" -> o.url = value(args, ++i, a);
                case "--user" -> o.user = value(args, ++i, a);
                case "--password" -> o.password = value(args, ++i, a);
                case "-h", "--help" -> {
                    System.out.print(USAGE);
                    System.exit(0);
                }
                default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
            }
        }
        if (!o.annManualSchema.matches("[a-z_][a-z0-9_]{0,62}")) {
            throw new IllegalArgumentException("--ann-manual-schema must be a lower-case schema name like agentstore");
        }
        if (!o.annMaintenanceWorkMem.matches("[0-9]{1,7}\\s?(kB|MB|GB)")) {
            throw new IllegalArgumentException("--ann-maintenance-work-mem must look like 512MB or 1GB");
        }
        if (!(o.scale > 0)) {
            throw new IllegalArgumentException("--scale must be > 0");
        }
        if (o.repeat < 1 || o.repeat > 9) {
            throw new IllegalArgumentException("--repeat must be 1 to 9");
        }
        if (o.pool < 1) {
            throw new IllegalArgumentException("--pool must be >= 1");
        }
        return o;
    }

    double warmupScale() {
        return warmupScale != null ? warmupScale : scale / 4;
    }

    /**
     * @param workload a workload id ({@code W1})
     * @return whether any of its phases was selected
     */
    boolean selected(String workload) {
        for (String w : workloads) {
            if (w.equals(workload) || w.startsWith(workload + ".")) {
                return true;
            }
        }
        return false;
    }

    /**
     * @param phase a phase name ({@code W1.jdbc})
     * @return whether it runs: its workload was selected whole, or the phase itself (or a prefix of it) was named
     */
    boolean phase(String phase) {
        String p = phase.toUpperCase(Locale.ROOT).replace(".JDBC", ".jdbc"); // as --workloads spells them
        for (String w : workloads) {
            if (p.equals(w) || p.startsWith(w + ".")) {
                return true;
            }
        }
        return false;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
