#!/usr/bin/env python3
"""Generates a realistic herald calendar of N posts and a matching herald.yaml.

    gen_calendar.py OUT_DIR --posts N [--seed S] [--year 2027] [--split none|monthly|daily]

Writes OUT_DIR/herald.yaml, OUT_DIR/calendar.yaml (or OUT_DIR/calendar/*.yaml
with --split) and a few small images in media/ next to the calendar file(s).
The same arguments always give the same bytes (standard library only, seeded).

The calendar looks like a busy team's: fixed times spread over the year in
office hours (a few written with an explicit offset), about 1% `every:` or
`rrule:` repeating posts, about 3% queued posts, texts of 50 to 250
characters with links to the own domains (some without scheme, some with a
utm_ parameter or a fragment already), other sites' links, emoji, hashtags,
now and then a CJK post, `{link POST}` / `{link POST@CHANNEL}` references to
earlier posts, per-channel variants, threads and images, and 1-3 channels per
post. Every X text stays under the 280 weighted-character limit, so the
calendar passes `herald check` without errors (lint warnings are expected:
a year this full is denser than `min_spacing` and `promo_share` like).
"""

import argparse
import datetime as dt
import json
import pathlib
import random
import sys

OWN_DOMAINS = ["example.nl", "blog.example.nl"]
CHANNELS = ["x", "facebook", "youtube", "blog", "site"]

# Which channels a fixed post goes to, with weights: mostly X and Facebook,
# sometimes a video or an article with its promotion.
CHANNEL_SETS = [
    (["x"], 22),
    (["facebook"], 10),
    (["x", "facebook"], 34),
    (["blog"], 4),
    (["blog", "site"], 4),
    (["blog", "x", "facebook"], 6),
    (["site"], 3),
    (["site", "x", "facebook"], 4),
    (["youtube"], 4),
    (["youtube", "x"], 4),
    (["youtube", "x", "facebook"], 5),
]

KINDS = [("promo", 12), ("help", 25), ("tip", 25), ("news", 15), ("other", 23)]
CAMPAIGNS = ["spring-2027", "summer-sale", "back-to-school", "autumn-service", "winter-ready",
             "black-friday", "kings-day", "e-bike-week", "city-commute"]
TOPICS = ["voorjaarsbeurt", "e-bike", "kettingtip", "bandenspanning", "verlichting", "fietsslot",
          "bakfiets", "winterklaar", "regenkleding", "kinderfiets", "racefiets", "fietsroute",
          "werkplaats", "openingstijden", "nieuwe-collectie", "tweedehands", "lease", "accu",
          "remmen", "zadel", "mtb", "onderhoud", "gravel", "actie"]

SENTENCES_NL = [
    "Pomp je banden elke twee weken op.",
    "Zachte banden slijten sneller en fietsen zwaarder.",
    "Nieuw in de winkel: de stadsfietsen van dit seizoen.",
    "Monteur Sanne laat zien hoe je je ketting smeert.",
    "Plan je onderhoudsbeurt online, dan staat je fiets binnen een dag klaar.",
    "Deze week 20% korting op alle fietssloten.",
    "Wist je dat een schone ketting tot 5% minder kracht kost?",
    "Zaterdag zijn we open van 09:00 tot 17:00.",
    "Check je verlichting: het wordt weer vroeg donker.",
    "Onze werkplaats repareert ook bakfietsen en e-bikes.",
    "Vraag van de week: hoe vaak moet mijn accu aan de lader?",
    "Eén tip: rem nooit alleen met je voorrem op een gladde weg.",
    "Café-racer of toerfiets? Wij helpen je kiezen.",
    "De route van deze maand: langs de Vecht naar Maarssen.",
    "Tweedehands fietsen met drie maanden garantie.",
    "Regen op komst? Zo blijft je fiets droog en roestvrij.",
]
SENTENCES_EN = [
    "Check your tyre pressure every two weeks.",
    "Our new city bikes are in the shop.",
    "Book a service online and get your bike back within a day.",
    "A clean chain saves up to 5% of your effort.",
    "Open on Saturday from 9 to 5.",
    "Question of the week: how often should I charge my battery?",
    "Winter is coming: time for better lights.",
    "We repair cargo bikes and e-bikes too.",
    "Used bikes with a three-month warranty.",
    "Rain on the way? Here is how to keep your bike dry.",
]
SENTENCES_CJK = [
    "自転車のタイヤは二週間ごとに空気を入れましょう。",
    "新しいシティサイクルが入荷しました。",
    "チェーンをきれいにすると走りが軽くなります。",
    "週末は九時から五時まで営業しています。",
    "电动自行车的电池要定期充电。",
    "雨天骑车请注意安全。",
]
EMOJI = ["🚲", "🌷", "🎉", "👍", "👍🏽", "🔧", "☀️", "🌧️", "💡", "🇳🇱", "👩‍🔧", "🛠️", "❤️", "🙌🏻"]
HASHTAGS = ["#fiets", "#utrecht", "#ebike", "#onderhoud", "#voorjaar", "#bikelife", "#fietsen"]
OTHER_LINKS = [
    "https://www.knmi.nl/nederland-nu/weer/verwachtingen",
    "https://nos.nl/artikel/2468123-fietsen-in-de-regen",
    "https://www.fietsersbond.nl/ons-werk/veiligheid/",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://en.wikipedia.org/wiki/Bicycle_chain",
]
PATHS = ["afspraak", "winkel/fietssloten", "werkplaats/onderhoud", "e-bikes", "tweedehands",
         "acties/voorjaar", "contact", "routes/vecht", "lease", "openingstijden"]


def weight(text):
    """An upper bound of the twitter-text v3 weight of plain text (no links)."""
    w = 0
    for c in text:
        o = ord(c)
        light = o <= 0x10FF or 0x2000 <= o <= 0x200D or 0x2010 <= o <= 0x201F or 0x2032 <= o <= 0x2037
        w += 1 if light else 2
    return w


def amsterdam_offset(day, hour):
    """UTC offset of Europe/Amsterdam, in hours, for a local wall time (EU rules)."""
    def last_sunday(month):
        d = dt.date(day.year, month, 31)
        return d - dt.timedelta(days=(d.weekday() + 1) % 7)
    summer = (last_sunday(3), 2) <= (day, hour) < (last_sunday(10), 3)
    return 2 if summer else 1


class Generator:
    def __init__(self, posts, seed, year):
        self.n = posts
        self.rng = random.Random(seed)
        self.year = year
        self.linkable = []   # (id, channels) of earlier fixed posts, newest last
        self.ids = set()
        self.media = []

    def pick(self, weighted):
        items, weights = zip(*weighted)
        return self.rng.choices(items, weights=weights)[0]

    def own_url(self):
        r = self.rng.random()
        slug = self.rng.choice(TOPICS)
        if r < 0.45:
            return "https://example.nl/" + self.rng.choice(PATHS)
        if r < 0.70:
            month = self.rng.randint(1, 12)
            return f"https://blog.example.nl/{self.year}/{month:02d}/{slug}/"
        if r < 0.80:
            return "www.example.nl/" + self.rng.choice(PATHS)      # no scheme: still a link on X
        if r < 0.90:
            return f"https://example.nl/{self.rng.choice(PATHS)}?utm_source=newsletter"
        return f"https://example.nl/{self.rng.choice(PATHS)}#{slug}"

    def reference(self, exclude):
        """A {link ...} to one of the recent earlier fixed posts, or None."""
        if not self.linkable:
            return None
        window = self.linkable[-300:]
        # Articles and videos are what gets promoted; prefer them.
        promoted = [t for t in window if set(t[1]) & {"blog", "youtube", "site"}]
        pool = promoted if promoted and self.rng.random() < 0.8 else window
        target_id, target_channels = self.rng.choice(pool)
        if target_id == exclude:
            return None
        if len(target_channels) == 1 and self.rng.random() < 0.5:
            return "{link " + target_id + "}"
        return "{link " + target_id + "@" + self.rng.choice(target_channels) + "}"

    def text(self, min_chars, max_chars, allow_reference=True, cjk=False, exclude=None):
        """A post text: sentences, links, a reference, emoji and hashtags,
        between min_chars and max_chars characters and at most 260 weighted."""
        sentences = SENTENCES_CJK if cjk else (SENTENCES_NL if self.rng.random() < 0.7 else SENTENCES_EN)
        parts, links = [], []        # links weigh 23 each, whatever their length
        if self.rng.random() < 0.7:
            links.append(self.own_url())
        if self.rng.random() < 0.12:
            links.append(self.rng.choice(OTHER_LINKS))
        if allow_reference and self.rng.random() < 0.3:
            ref = self.reference(exclude)
            if ref:
                links.append(ref)
        extras = []
        if self.rng.random() < 0.35:
            extras.append("".join(self.rng.choice(EMOJI) for _ in range(self.rng.randint(1, 3))))
        if self.rng.random() < 0.3:
            extras.append(" ".join(self.rng.sample(HASHTAGS, self.rng.randint(1, 2))))
        if self.rng.random() < 0.01:
            extras.append("Beter dan bij Acme!")       # the lint's competitor rule
        target = self.rng.randint(min_chars, max_chars)

        def assemble():
            return " ".join(parts + links + extras)

        def fits(candidate):
            plain = " ".join(parts + extras)
            return len(candidate) <= max_chars and weight(plain) + 24 * len(links) <= 260

        while True:
            unused = [s for s in sentences if s not in parts]
            if not unused:
                break
            parts.append(self.rng.choice(unused))
            if not fits(assemble()):
                parts.pop()
                break
            if len(assemble()) >= target:
                break
        while len(assemble()) < min_chars:           # pad with short, light sentences
            parts.append(self.rng.choice(["Tot snel!", "Groet, het team.", "See you soon!"]))
            if not fits(assemble()):
                parts.pop()
                if extras:
                    extras.pop()
                else:
                    break
        while not fits(assemble()) and (extras or links):
            (extras or links).pop()
        return assemble()

    def new_id(self, index):
        while True:
            base = self.rng.choice(TOPICS)
            suffix = self.rng.choice(["", "-tip", "-video", "-blog", "-actie", "-nieuws", "-vraag"])
            pid = f"{base}{suffix}-{index}"
            if pid not in self.ids:
                self.ids.add(pid)
                return pid

    def fixed_times(self, count):
        start = dt.date(self.year, 1, 1)
        days = (dt.date(self.year + 1, 1, 1) - start).days
        times = []
        for _ in range(count):
            day = start + dt.timedelta(days=self.rng.randrange(days))
            minute = self.rng.randrange(7 * 60, 22 * 60, 5)
            times.append((day, minute))
        times.sort()
        return times

    def at_text(self, day, minute):
        h, m = divmod(minute, 60)
        if self.rng.random() < 0.05:
            return f"{day.isoformat()}T{h:02d}:{m:02d}:00+{amsterdam_offset(day, h):02d}:00"
        return f"{day.isoformat()} {h:02d}:{m:02d}"

    def timing_kinds(self):
        kinds = []
        for _ in range(self.n):
            r = self.rng.random()
            kinds.append("every" if r < 0.01 else "queue" if r < 0.04 else "at")
        return kinds

    def repeating(self, post):
        start = dt.date(self.year, 1, 1) + dt.timedelta(days=self.rng.randrange(300))
        months = self.rng.randint(1, 6)
        until = min(start + dt.timedelta(days=30 * months), dt.date(self.year, 12, 31))
        hour, minute = self.rng.randint(8, 20), self.rng.choice([0, 15, 30, 45])
        day_names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        rule = self.rng.random()
        if rule < 0.35:
            post["every"] = f"weekly {self.rng.choice(day_names)} {hour:02d}:{minute:02d}"
        elif rule < 0.50:
            a, b = sorted(self.rng.sample(range(5), 2))
            post["every"] = f"weekly {day_names[a]},{day_names[b]} {hour:02d}:{minute:02d}"
        elif rule < 0.60:
            post["every"] = f"monthly {self.rng.choice(['1', '15', '-1'])} {hour:02d}:{minute:02d}"
        elif rule < 0.68:
            post["every"] = f"daily {hour:02d}:{minute:02d}"
            until = start + dt.timedelta(days=self.rng.randint(7, 28))   # a short daily run
        elif rule < 0.85:
            day = self.rng.choice(["MO", "TU", "WE", "TH", "FR"])
            post["rrule"] = f"FREQ=WEEKLY;BYDAY={day};BYHOUR={hour};BYMINUTE={minute}"
        elif rule < 0.93:
            post["rrule"] = f"FREQ=MONTHLY;BYDAY=-1FR;BYHOUR={hour};BYMINUTE={minute}"
        else:
            post["rrule"] = f"FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;BYHOUR={hour};BYMINUTE={minute}"
        post["from"] = start.isoformat()
        post["until"] = until.isoformat()

    def make_media(self, calendar_dir):
        """A few small images next to the calendar files (media paths are relative to them)."""
        media_dir = calendar_dir / "media"
        media_dir.mkdir(parents=True, exist_ok=True)
        png = b"\x89PNG\r\n\x1a\n" + bytes(200)
        jpeg = b"\xff\xd8\xff\xe0" + bytes(300)
        for i in range(12):
            name = f"photo-{i:02d}.{'png' if i % 3 == 0 else 'jpg'}"
            (media_dir / name).write_bytes(png if name.endswith("png") else jpeg)
            self.media.append("media/" + name)

    def posts(self):
        kinds = self.timing_kinds()
        times = iter(self.fixed_times(sum(1 for k in kinds if k == "at")))
        out = []
        for index, timing in enumerate(kinds, start=1):
            post = {"id": self.new_id(index)}
            if timing == "at":
                day, minute = next(times)
                post["at"] = self.at_text(day, minute)
                channels = list(self.pick(CHANNEL_SETS))
                post["day"] = day
            else:
                if timing == "every":
                    self.repeating(post)
                else:
                    post["queue"] = True
                    if self.rng.random() < 0.3:
                        start = dt.date(self.year, 1, 1) + dt.timedelta(days=self.rng.randrange(330))
                        post["from"] = start.isoformat()
                channels = self.rng.choice([["x"], ["facebook"], ["x", "facebook"]])
                post["day"] = out[-1]["day"] if out else dt.date(self.year, 1, 1)
            post["channels"] = channels
            if self.rng.random() < 0.3:
                post["campaign"] = self.rng.choice(CAMPAIGNS)
            post["kind"] = self.pick(KINDS)
            long_form = bool(set(channels) & {"blog", "site", "youtube"})
            if long_form:
                post["title"] = self.rng.choice(SENTENCES_NL + SENTENCES_EN).rstrip(".?!")
            cjk = not long_form and self.rng.random() < 0.03
            post["text"] = self.text(50, 250, cjk=cjk, exclude=post["id"])
            if "x" in channels and len(channels) > 1 and self.rng.random() < 0.12:
                post["x"] = {"text": self.text(50, 200, exclude=post["id"])}
            if "facebook" in channels and self.rng.random() < 0.05:
                post.setdefault("facebook", {})["link"] = "https://example.nl/" + self.rng.choice(PATHS)
            if channels == ["x"] and self.rng.random() < 0.05:
                post["thread"] = [self.text(50, 200, allow_reference=False) for _ in range(self.rng.randint(1, 3))]
            if "youtube" in channels:
                vid = "".join(self.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
                              for _ in range(11))
                post["youtube"] = {"video": vid, "privacy": "public"}
            elif self.rng.random() < 0.08:
                post["media"] = [self.rng.choice(self.media)]
            if long_form and set(channels) & {"blog", "site"}:
                post["excerpt"] = self.rng.choice(SENTENCES_NL)
                post["categories"] = [self.rng.choice(["Onderhoud", "Nieuws", "Routes", "Acties"])]
                post["tags"] = self.rng.sample(["voorjaar", "onderhoud", "ebike", "route", "actie", "winter"], 2)
            if timing == "at":
                self.linkable.append((post["id"], channels))
            out.append(post)
        return out


def q(value):
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def flow(values):
    return "[" + ", ".join(q(v) for v in values) + "]"


def render(post):
    lines = [f"  - id: {post['id']}"]
    for key in ("at", "every", "rrule", "from", "until"):
        if key in post:
            lines.append(f"    {key}: {q(post[key]) if key in ('every', 'rrule') else post[key]}")
    if post.get("queue"):
        lines.append("    queue: true")
    lines.append(f"    channels: [{', '.join(post['channels'])}]")
    for key in ("campaign", "kind"):
        if key in post:
            lines.append(f"    {key}: {post[key]}")
    for key in ("title", "text", "excerpt"):
        if key in post:
            lines.append(f"    {key}: {q(post[key])}")
    for key in ("thread", "media", "categories", "tags"):
        if key in post:
            lines.append(f"    {key}: {flow(post[key])}")
    for channel in CHANNELS:
        if channel in post:
            fields = ", ".join(f"{k}: {q(v)}" for k, v in post[channel].items())
            lines.append(f"    {channel}: {{{fields}}}")
    return "\n".join(lines) + "\n"


SETTINGS = """\
# Generated by bench/gen_calendar.py for the benchmarks.
calendar: {calendar}
state_dir: var
credentials_dir: credentials
timezone: Europe/Amsterdam
status:
  listen: 127.0.0.1:8787
  token: status-token
publishing:
  late_window: 15m
  retry: {{attempts: 5, backoff: 30s, max_backoff: 30m}}
links:
  own_domains: [example.nl, blog.example.nl]
  utm: {{source: "{{channel}}", medium: social, campaign: "{{campaign}}", content: "{{post}}"}}
lint:
  promo_share: 0.2
  max_gap: 3d
  competitors: [Acme]
channels:
  x:        {{kind: x, account: example_nl, credentials: x, slots: ["mon-fri 09:15", "mon-fri 17:30"], min_spacing: 20m, rate: 50/24h}}
  facebook: {{kind: facebook, page_id: "1234567890", credentials: facebook, slots: ["mon,wed,fri 12:00"]}}
  youtube:  {{kind: youtube, credentials: youtube}}
  blog:     {{kind: wordpress, site: https://blog.example.nl, credentials: blog}}
  site:     {{kind: static, dir: site/content/posts, url: "https://example.nl/nieuws/{{post}}/"}}
"""


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=pathlib.Path)
    parser.add_argument("--posts", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", type=int, default=2027)
    parser.add_argument("--split", choices=["none", "monthly", "daily"], default="none",
                        help="one calendar.yaml, or a calendar/ directory with a file per month or per day")
    args = parser.parse_args(argv)
    if args.posts < 1:
        parser.error("--posts must be at least 1")

    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    gen = Generator(args.posts, args.seed, args.year)
    calendar_dir = out if args.split == "none" else out / "calendar"
    gen.make_media(calendar_dir)
    posts = gen.posts()

    header = "# Generated by bench/gen_calendar.py: {} posts, seed {}.\ntimezone: Europe/Amsterdam\nposts:\n"
    if args.split == "none":
        files = {"calendar.yaml": posts}
        calendar = "calendar.yaml"
    else:
        files = {}
        for post in posts:
            day = post["day"]
            name = f"{day.year}-{day.month:02d}.yaml" if args.split == "monthly" else f"{day.isoformat()}.yaml"
            files.setdefault(name, []).append(post)
        calendar = "calendar"
    total = 0
    for name, chunk in files.items():
        path = out / name if args.split == "none" else out / calendar / name
        text = header.format(len(chunk), args.seed) + "".join(render(p) for p in chunk)
        data = text.encode("utf-8")
        path.write_bytes(data)
        total += len(data)
    (out / "herald.yaml").write_text(SETTINGS.format(calendar=calendar), encoding="utf-8")
    print(f"{len(posts)} posts, {len(files)} calendar file(s), {total} bytes in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
