// The prose domain: English-like paragraphs from a small grammar (noun phrases, past-tense verb phrases,
// prepositional phrases, compound sentences, questions, quoted speech) over a few hundred real words.
#include "datasets/corpus_generators.h"

#include <cctype>

namespace moe::data_detail {
namespace {

bool starts_with_vowel(const std::string& word) {
    return !word.empty() && std::string("aeiou").find(word[0]) != std::string::npos;
}

class ProseWriter {
public:
    explicit ProseWriter(Rng& rng) : rng_(rng) {}

    std::string paragraph() {
        std::string text;
        const int sentences = between(rng_, 2, 6);
        for (int s = 0; s < sentences; ++s) {
            if (s > 0) text += ' ';
            text += sentence();
        }
        return wrapped(text) + '\n';
    }

private:
    std::string sentence() {
        const int kind = between(rng_, 0, 99);
        if (kind < 10) return question();
        if (kind < 18) return quoted_speech();
        if (kind < 21) return exclamation();
        std::string s = clause();
        if (chance(rng_, 30)) {
            static constexpr const char* joiners[] = {", and ", ", but ", ", so ", " while ", " because ",
                                                      " although ", " when ", " until ", "; then "};
            s += pick<const char*>(rng_, joiners);
            s += clause();
        }
        return capitalised(s) + ".";
    }

    // A clause in the past tense, so that subject and verb always agree.
    std::string clause() {
        std::string s;
        if (chance(rng_, 12)) s = prepositional_phrase() + ", ";
        s += cat({subject(), " ", verb_phrase()});
        if (chance(rng_, 25)) s += ' ' + prepositional_phrase();
        if (chance(rng_, 15)) s += std::string(" ") + pick(rng_, adverbs());
        return s;
    }

    std::string verb_phrase() {
        if (chance(rng_, 65)) {
            std::string vp = pick(rng_, transitive_verbs()).past;
            return vp + ' ' + object();
        }
        std::string vp = pick(rng_, intransitive_verbs()).past;
        if (chance(rng_, 30)) vp = std::string(pick(rng_, adverbs())) + ' ' + vp;
        return vp;
    }

    std::string subject() {
        if (chance(rng_, 15)) {
            static constexpr const char* pronouns[] = {"he", "she", "they", "we", "I", "you", "it"};
            return pick<const char*>(rng_, pronouns);
        }
        return noun_phrase(true);
    }

    std::string object() {
        if (chance(rng_, 10)) {
            static constexpr const char* pronouns[] = {"him", "her", "them", "us", "me", "it"};
            return pick<const char*>(rng_, pronouns);
        }
        return noun_phrase(true);
    }

    std::string noun_phrase(bool allow_modifier) {
        if (chance(rng_, 12)) return pick(rng_, names());
        const Noun& noun = pick(rng_, nouns());
        const bool plural = chance(rng_, 25);
        std::string words;
        const int adjective_count = chance(rng_, 55) ? 0 : (chance(rng_, 80) ? 1 : 2);
        for (int a = 0; a < adjective_count; ++a) {
            if (a > 0) words += ", ";
            words += pick(rng_, adjectives());
        }
        words += (words.empty() ? "" : " ");
        words += plural ? noun.many : noun.one;
        std::string phrase;
        if (plural) {
            static constexpr const char* determiners[] = {"the", "the", "some", "many", "few", "these", "those",
                                                          "two", "three", "our", "their", "all the", "her"};
            phrase = std::string(pick<const char*>(rng_, determiners)) + ' ' + words;
        } else {
            static constexpr const char* determiners[] = {"the", "the", "the", "a", "a", "this", "that", "every",
                                                          "one", "my", "his", "her", "our", "their", "no"};
            std::string det = pick<const char*>(rng_, determiners);
            if (det == "a" && starts_with_vowel(words)) det = "an";
            phrase = det + ' ' + words;
        }
        if (allow_modifier && chance(rng_, 10)) phrase += ' ' + prepositional_phrase();
        return phrase;
    }

    std::string prepositional_phrase() { return cat({pick(rng_, prepositions()), " ", noun_phrase(false)}); }

    std::string question() {
        const Verb& verb = pick(rng_, transitive_verbs());
        switch (between(rng_, 0, 3)) {
            case 0: return cat({"Did ", subject(), " ", verb.base, " ", object(), "?"});
            case 1: return cat({"Why did ", subject(), " ", pick(rng_, intransitive_verbs()).base, "?"});
            case 2: return cat({"Where did ", subject(), " ", verb.base, " ", object(), "?"});
            default: return "Who " + std::string(verb.past) + ' ' + object() + '?';
        }
    }

    // A command or a question in quotes, then who said it. (Built by appending, which keeps GCC 12's -Wrestrict
    // false positive on long chains of string + string quiet.)
    std::string quoted_speech() {
        static constexpr const char* said[] = {"said", "asked", "whispered", "replied", "called", "cried"};
        std::string inner;
        char mark = ',';
        if (chance(rng_, 50)) {
            inner = pick(rng_, transitive_verbs()).base;
            inner += ' ';
            inner += noun_phrase(false);
            if (chance(rng_, 30)) mark = '!';
        } else {
            inner = "where did you leave ";
            inner += noun_phrase(false);
            mark = '?';
        }
        std::string s = "\"";
        s += capitalised(std::move(inner));
        s += mark;
        s += "\" ";
        s += pick<const char*>(rng_, said);
        s += ' ';
        s += pick(rng_, names());
        s += '.';
        return s;
    }

    std::string exclamation() {
        std::string adjective = pick(rng_, adjectives());
        const char* article = starts_with_vowel(adjective) ? "an " : "a ";
        return "What " + std::string(article) + adjective + ' ' + pick(rng_, nouns()).one + " it was!";
    }

    // Lines of at most kWidth columns, broken at spaces, as in a plain-text book; each ends in a newline.
    static std::string wrapped(const std::string& text) {
        constexpr size_t kWidth = 72;
        std::string out;
        size_t line_start = 0;
        while (text.size() - line_start > kWidth) {
            size_t cut = text.rfind(' ', line_start + kWidth);
            if (cut == std::string::npos || cut <= line_start) cut = text.find(' ', line_start + kWidth);
            if (cut == std::string::npos) break;
            out.append(text, line_start, cut - line_start);
            out += '\n';
            line_start = cut + 1;
        }
        out.append(text, line_start);
        return out + '\n';
    }

    static std::string capitalised(std::string s) {
        if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
        return s;
    }

    Rng& rng_;
};

}  // namespace

std::string generate_prose(Rng& rng, size_t n) {
    ProseWriter writer(rng);
    std::string text;
    text.reserve(n + 1024);
    while (text.size() < n) text += writer.paragraph();
    return fit_to_lines(std::move(text), n);
}

}  // namespace moe::data_detail
