// The markup domain: HTML fragments and XML records with nested tags (indented with tabs), attributes, short
// text, entities and comments. Tags always close in the right order, so a model can learn to predict closing tags.
#include "datasets/corpus_generators.h"

namespace moe::data_detail {
namespace {

constexpr const char* kClasses[] = {"card", "note",   "title",   "item", "menu", "active", "hidden",
                                    "lead", "footer", "warning", "grid", "row",  "col"};
constexpr const char* kPages[] = {"index", "about", "news", "contact", "docs", "blog", "shop", "help"};
constexpr const char* kUnits[] = {"kg", "m", "s", "eur", "px", "ms"};

class MarkupWriter {
public:
    explicit MarkupWriter(Rng& rng) : rng_(rng) {}

    std::string document() {
        out_.clear();
        const int kind = between(rng_, 0, 9);
        if (kind < 5) {
            container(0, 0);
        } else if (kind < 8) {
            record(0);
        } else {
            out_ += "<!-- " + words(2, 5) + " -->\n";
            container(0, 1);
        }
        return out_;
    }

private:
    void container(int indent, int depth) {
        static constexpr const char* tags[] = {"div", "section", "article", "nav", "header", "footer", "main"};
        const int kind = between(rng_, 0, 9);
        if (depth >= 2 || kind < 3) {
            leaf(indent);
            return;
        }
        if (kind < 5) {
            list(indent);
            return;
        }
        if (kind < 6) {
            table(indent);
            return;
        }
        const std::string tag = pick<const char*>(rng_, tags);
        open(indent, tag, attributes());
        const int children = between(rng_, 1, 4);
        for (int c = 0; c < children; ++c) container(indent + 1, depth + 1);
        close(indent, tag);
    }

    void leaf(int indent) {
        const int kind = between(rng_, 0, 9);
        pad(indent);
        if (kind < 2) {
            out_ += cat({"<img src=\"/img/", pick<const char*>(rng_, kPages), std::to_string(between(rng_, 1, 99)),
                         ".png\" alt=\"", words(1, 3), "\"/>\n"});
        } else if (kind < 3) {
            out_ += cat({"<input type=\"text\" name=\"", pick(rng_, nouns()).one, "\" value=\"", words(1, 2),
                         "\"/>\n"});
        } else {
            static constexpr const char* tags[] = {"p", "p", "p", "h1", "h2", "h3", "span", "label", "button"};
            const std::string tag = pick<const char*>(rng_, tags);
            out_ += cat({"<", tag, attributes(), ">", inline_text(), "</", tag, ">\n"});
        }
    }

    void list(int indent) {
        const std::string tag = chance(rng_, 70) ? "ul" : "ol";
        open(indent, tag, attributes());
        const int items = between(rng_, 2, 5);
        for (int i = 0; i < items; ++i) {
            pad(indent + 1);
            out_ += "<li>" + inline_text() + "</li>\n";
        }
        close(indent, tag);
    }

    void table(int indent) {
        open(indent, "table", attributes());
        const int rows = between(rng_, 2, 4), columns = between(rng_, 2, 3);
        for (int r = 0; r < rows; ++r) {
            pad(indent + 1);
            out_ += "<tr>";
            for (int c = 0; c < columns; ++c) {
                const char* cell = r == 0 ? "th" : "td";
                out_ += std::string("<") + cell + '>' +
                        (chance(rng_, 40) ? std::to_string(between(rng_, 0, 999)) : words(1, 2)) + "</" + cell + '>';
            }
            out_ += "</tr>\n";
        }
        close(indent, "table");
    }

    void record(int indent) {
        if (chance(rng_, 30)) out_ += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
        const std::string id = std::to_string(between(rng_, 1, 9999));
        open(indent, "record", " id=\"" + id + "\" type=\"" + pick(rng_, nouns()).one + '"');
        pad(indent + 1);
        out_ += "<name>" + words(1, 2) + "</name>\n";
        pad(indent + 1);
        out_ += cat({"<value unit=\"", pick<const char*>(rng_, kUnits), "\">", std::to_string(between(rng_, 0, 5000)),
                     "</value>\n"});
        if (chance(rng_, 60)) {
            open(indent + 1, "tags", "");
            const int tags = between(rng_, 1, 3);
            for (int t = 0; t < tags; ++t) {
                pad(indent + 2);
                out_ += std::string("<tag>") + pick(rng_, adjectives()) + "</tag>\n";
            }
            close(indent + 1, "tags");
        }
        close(indent, "record");
    }

    std::string attributes() {
        std::string a;
        if (chance(rng_, 40)) {
            a += cat({" id=\"", pick(rng_, nouns()).one, "-", std::to_string(between(rng_, 1, 99)), "\""});
        }
        if (chance(rng_, 70)) {
            a += " class=\"" + std::string(pick<const char*>(rng_, kClasses));
            if (chance(rng_, 30)) a += ' ' + std::string(pick<const char*>(rng_, kClasses));
            a += '"';
        }
        if (chance(rng_, 15)) a += " data-index=\"" + std::to_string(between(rng_, 0, 50)) + '"';
        if (chance(rng_, 10)) a += " style=\"width: " + std::to_string(between(rng_, 1, 64) * 10) + "px\"";
        return a;
    }

    // A few words, sometimes with an inline tag, a link or an entity.
    std::string inline_text() {
        std::string t = words(1, 3);
        const int kind = between(rng_, 0, 9);
        if (kind < 2) {
            static constexpr const char* tags[] = {"em", "strong", "b", "i", "code"};
            const std::string tag = pick<const char*>(rng_, tags);
            t += cat({" <", tag, ">", words(1, 2), "</", tag, "> ", words(1, 2)});
        } else if (kind < 4) {
            t += cat({" <a href=\"/", pick<const char*>(rng_, kPages), ".html\">", words(1, 2), "</a>"});
        } else if (kind < 5) {
            t += " &amp; " + words(1, 2);
        }
        return t;
    }

    std::string words(int lo, int hi) {
        std::string w;
        const int count = between(rng_, lo, hi);
        for (int i = 0; i < count; ++i) {
            if (i > 0) w += ' ';
            w += chance(rng_, 40) ? pick(rng_, adjectives()) : pick(rng_, nouns()).one;
        }
        if (chance(rng_, 15) && !w.empty()) w[0] = static_cast<char>(w[0] - 'a' + 'A');
        return w;
    }

    void open(int indent, const std::string& tag, const std::string& attributes) {
        pad(indent);
        out_ += '<' + tag + attributes + ">\n";
    }
    void close(int indent, const std::string& tag) {
        pad(indent);
        out_ += "</" + tag + ">\n";
    }
    void pad(int indent) { out_.append(static_cast<size_t>(indent), '\t'); }

    Rng& rng_;
    std::string out_;
};

}  // namespace

std::string generate_markup(Rng& rng, size_t n) {
    MarkupWriter writer(rng);
    std::string text;
    text.reserve(n + 4096);
    while (text.size() < n) text += writer.document();
    return fit_to_lines(std::move(text), n);
}

}  // namespace moe::data_detail
