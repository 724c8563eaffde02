package dev.agentstore.cli.ingest;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Extracts the readable text of an HTML page with jsoup: headings become section boundaries, paragraphs, list
 * items, definition terms, table rows and code listings become {@link Block}s. Navigation and boilerplate are dropped:
 * {@code script}, {@code style}, {@code nav}, {@code header}, {@code footer}, forms, and DocBook's
 * {@code navheader}/{@code navfooter} bars and generated tables of contents ({@code toc}, {@code list-of-tables}...).
 */
public final class HtmlExtractor {

    private static final Set<String> DROPPED_TAGS = Set.of("script", "style", "nav", "header", "footer", "form",
            "noscript", "iframe", "svg", "button", "head", "hr", "img");
    private static final Set<String> DROPPED_CLASSES = Set.of("navheader", "navfooter", "toc", "list-of-tables",
            "list-of-figures", "list-of-examples", "breadcrumb", "sidebar", "navigation", "titlepage-nav");
    private static final Set<String> HEADINGS = Set.of("h1", "h2", "h3", "h4", "h5", "h6");
    /** Elements whose whole text is one block unless they contain other blocks. */
    private static final Set<String> LEAF_BLOCKS = Set.of("p", "li", "dt", "dd", "tr", "caption", "blockquote",
            "figcaption", "td", "th");
    private static final Set<String> CONTAINERS = Set.of("div", "section", "article", "main", "body", "ul", "ol",
            "dl", "table", "thead", "tbody", "tfoot", "aside", "span", "figure");
    private static final Set<String> BLOCK_TAGS;

    static {
        var all = new java.util.HashSet<String>();
        all.addAll(HEADINGS);
        all.addAll(LEAF_BLOCKS);
        all.addAll(Set.of("div", "section", "article", "main", "ul", "ol", "dl", "table", "pre", "aside", "figure"));
        BLOCK_TAGS = Set.copyOf(all);
    }

    /**
     * @param id       the document id
     * @param html     the page source
     * @param fallbackTitle used when the page has no {@code <title>}
     * @return the page's text blocks
     */
    public SourceDocument extract(String id, String html, String fallbackTitle) {
        Document doc = Jsoup.parse(html);
        String title = doc.title().isBlank() ? fallbackTitle : clean(doc.title());
        Walker walker = new Walker(title);
        walker.walk(doc.body());
        walker.flush();
        return new SourceDocument(id, title, walker.blocks);
    }

    private static String clean(String s) {
        return s.replace('\u00a0', ' ').replaceAll("\\s+", " ").trim();
    }

    private static final class Walker {
        final List<Block> blocks = new ArrayList<>();
        final StringBuilder inline = new StringBuilder();
        String heading;

        Walker(String title) {
            this.heading = title;
        }

        void walk(Element element) {
            for (Node node : element.childNodes()) {
                if (node instanceof TextNode text) {
                    inline.append(text.text());
                } else if (node instanceof Element child) {
                    visit(child);
                }
            }
        }

        void visit(Element e) {
            String tag = e.normalName();
            if (DROPPED_TAGS.contains(tag) || e.classNames().stream().anyMatch(DROPPED_CLASSES::contains)) {
                return;
            }
            if (HEADINGS.contains(tag)) {
                flush();
                String h = clean(e.text());
                if (!h.isEmpty()) {
                    heading = h;
                }
            } else if (tag.equals("pre")) {
                flush();
                String code = e.wholeText().strip();
                if (!code.isEmpty()) {
                    blocks.add(new Block(heading, code));
                }
            } else if (tag.equals("tr")) {
                flush();
                List<String> cells = e.children().stream().map(c -> clean(c.text())).filter(s -> !s.isEmpty()).toList();
                add(String.join(" | ", cells));
            } else if (LEAF_BLOCKS.contains(tag) && !hasBlockChild(e)) {
                flush();
                add(clean(e.text()));
            } else if (LEAF_BLOCKS.contains(tag) || CONTAINERS.contains(tag) && BLOCK_TAGS.contains(tag)) {
                flush();
                walk(e);
                flush();
            } else {
                // inline element (a, code, em, span ...), or a container without block children
                if (hasBlockChild(e)) {
                    flush();
                    walk(e);
                    flush();
                } else {
                    inline.append(e.text());
                }
            }
        }

        void flush() {
            add(clean(inline.toString()));
            inline.setLength(0);
        }

        void add(String text) {
            if (!text.isBlank()) {
                blocks.add(new Block(heading, text));
            }
        }

        static boolean hasBlockChild(Element e) {
            for (Element c : e.children()) {
                if (BLOCK_TAGS.contains(c.normalName()) || hasBlockChild(c)) {
                    return true;
                }
            }
            return false;
        }
    }
}
