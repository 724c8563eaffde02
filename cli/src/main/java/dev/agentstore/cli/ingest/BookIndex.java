package dev.agentstore.cli.ingest;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The back-of-book index of a DocBook manual ({@code bookindex.html}) as labelled queries: each top-level term is a
 * query, and the pages its entry and sub-entries link to are the relevant pages. A retrieved chunk is a hit when its
 * document is one of them.
 */
public final class BookIndex {

    /**
     * A labelled query.
     *
     * @param term  the index term, for example {@code advisory lock}
     * @param pages the relevant pages (file names without fragment, for example {@code explicit-locking.html})
     */
    public record Entry(String term, Set<String> pages) {
    }

    private BookIndex() {
    }

    /**
     * @param file the {@code bookindex.html} file
     * @return its terms that link to at least one page, in index order
     * @throws IOException when the file cannot be read
     */
    public static List<Entry> parse(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    /**
     * @param html the index page's source
     * @return its terms that link to at least one page, in index order
     */
    public static List<Entry> parse(String html) {
        Document doc = Jsoup.parse(html);
        List<Entry> entries = new ArrayList<>();
        for (Element dt : doc.select("div.index div.indexdiv > dl > dt")) {
            String term = dt.ownText().replace('\u00a0', ' ').replaceAll("[\\s,]+$", "").replaceAll("\\s+", " ").trim();
            if (term.isEmpty()) {
                continue;
            }
            Set<String> pages = new LinkedHashSet<>();
            addPages(dt, pages);
            Element next = dt.nextElementSibling();
            if (next != null && next.normalName().equals("dd")) {
                addPages(next, pages);
            }
            if (!pages.isEmpty()) {
                entries.add(new Entry(term, Set.copyOf(pages)));
            }
        }
        return entries;
    }

    private static void addPages(Element e, Set<String> pages) {
        for (Element a : e.select("a.indexterm[href]")) {
            String href = a.attr("href");
            int hash = href.indexOf('#');
            String page = hash < 0 ? href : href.substring(0, hash);
            if (!page.isBlank()) {
                pages.add(page);
            }
        }
    }
}
