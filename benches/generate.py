#!/usr/bin/env python3
"""Generates a deterministic synthetic Django + Celery project (and a Rust workspace of a
similar size) for tasklint's benchmark.

    python3 benches/generate.py python OUT_DIR [--files 5000]
    python3 benches/generate.py rust OUT_DIR [--files 5000]
    python3 benches/generate.py data OUT_DIR [--mb 5]

The same arguments always produce byte-identical trees. The Python project has apps with
models, views, URLconfs, tasks, services, serializers, admin and tests; a few views call
tasks directly or reach slow calls, so tasklint has real work to report.
"""

import argparse
import os
import random
import shutil

FILES_PER_APP = 10  # __init__, models, views, urls, tasks, services, serializers, admin, tests, utils


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def model_block(rng, i):
    fields = "\n".join(
        f"    field_{j} = models.{rng.choice(['CharField(max_length=64)', 'IntegerField(default=0)', 'BooleanField(default=False)', 'TextField(blank=True)'])}"
        for j in range(rng.randint(4, 10))
    )
    return f'''

class Item{i}(models.Model):
    """Model {i}."""

{fields}

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"Item{i}({{self.pk}})"

    def total(self):
        value = 0
        for k in range(10):
            value += k * {i}
        return value
'''


def app_files(rng, app, n_models):
    files = {}
    files["__init__.py"] = ""
    files["models.py"] = "from django.db import models\n" + "".join(
        model_block(rng, i) for i in range(n_models)
    )
    tasks = ["from celery import shared_task\n\nfrom .models import *  # noqa\n"]
    for i in range(n_models):
        tasks.append(f'''

@shared_task(bind=True, max_retries=3)
def refresh_item_{i}(self, item_id):
    item = Item{i}.objects.get(pk=item_id)
    return item.total()


@shared_task
def export_item_{i}(item_id, fmt="csv"):
    import requests

    return requests.post("https://export.example.com/{app}/{i}", json={{"id": item_id}}, timeout=5)
''')
    files["tasks.py"] = "".join(tasks)
    services = ["import time\n\nimport requests\n\nfrom . import tasks\n"]
    for i in range(n_models):
        services.append(f'''

def sync_item_{i}(item):
    tasks.refresh_item_{i}.delay(item.pk)
    return item


def notify_item_{i}(item):
    return requests.get("https://notify.example.com/{app}/{i}", timeout=2)


def compute_item_{i}(item):
    result = []
    for k in range(20):
        if k % 3 == 0:
            result.append(k * item.pk)
        elif k % 3 == 1:
            result.append(str(k))
        else:
            result.append(None)
    return result
''')
    files["services.py"] = "".join(services)
    views = [
        "from django.http import JsonResponse\nfrom django.views import View\n\n"
        "from . import services, tasks\nfrom .models import *  # noqa\n"
    ]
    for i in range(n_models):
        bad = rng.random() < 0.1
        slow = rng.random() < 0.1
        views.append(f'''

def item_{i}_detail(request, pk):
    item = Item{i}.objects.get(pk=pk)
    services.sync_item_{i}(item)
    {"tasks.export_item_%d(item.pk)" % i if bad else "tasks.export_item_%d.delay(item.pk)" % i}
    {"services.notify_item_%d(item)" % i if slow else "services.compute_item_%d(item)" % i}
    return JsonResponse({{"id": item.pk, "total": item.total()}})


class Item{i}View(View):
    def get(self, request, pk):
        item = Item{i}.objects.get(pk=pk)
        return JsonResponse({{"values": services.compute_item_{i}(item)}})

    def post(self, request, pk):
        tasks.refresh_item_{i}.delay(pk)
        return JsonResponse({{"queued": True}})
''')
    files["views.py"] = "".join(views)
    urls = ["from django.urls import path\n\nfrom . import views\n\nurlpatterns = [\n"]
    for i in range(n_models):
        urls.append(f'    path("item{i}/<int:pk>/", views.item_{i}_detail),\n')
        urls.append(f'    path("item{i}/<int:pk>/view/", views.Item{i}View.as_view()),\n')
    urls.append("]\n")
    files["urls.py"] = "".join(urls)
    files["serializers.py"] = "from rest_framework import serializers\n\nfrom .models import *  # noqa\n" + "".join(
        f'''

class Item{i}Serializer(serializers.ModelSerializer):
    class Meta:
        model = Item{i}
        fields = "__all__"
'''
        for i in range(n_models)
    )
    files["admin.py"] = "from django.contrib import admin\n\nfrom .models import *  # noqa\n" + "".join(
        f"\nadmin.site.register(Item{i})\n" for i in range(n_models)
    )
    files["tests.py"] = "from . import tasks\n" + "".join(
        f'''

def test_refresh_item_{i}():
    assert tasks.refresh_item_{i}.run is not None
'''
        for i in range(n_models)
    )
    files["utils.py"] = "".join(
        f'''

def helper_{k}(values):
    total = 0
    for v in values:
        if v is None:
            continue
        total += len(str(v))
    return total
'''
        for k in range(rng.randint(5, 15))
    )
    return files


def generate_python(out, n_files):
    rng = random.Random(20261124)
    n_apps = max(1, n_files // FILES_PER_APP)
    write(os.path.join(out, "manage.py"), "import os\nimport sys\n")
    write(os.path.join(out, "proj", "__init__.py"), "from .celery import app as celery_app\n")
    write(
        os.path.join(out, "proj", "celery.py"),
        'from celery import Celery\n\napp = Celery("proj")\napp.autodiscover_tasks()\n',
    )
    apps = [f"app{a:04d}" for a in range(n_apps)]
    write(
        os.path.join(out, "proj", "settings.py"),
        "INSTALLED_APPS = [\n" + "".join(f'    "{a}",\n' for a in apps) + "]\nROOT_URLCONF = 'proj.urls'\n",
    )
    write(
        os.path.join(out, "proj", "urls.py"),
        "from django.urls import include, path\n\nurlpatterns = [\n"
        + "".join(f'    path("{a}/", include("{a}.urls")),\n' for a in apps)
        + "]\n",
    )
    for a in apps:
        for name, text in app_files(rng, a, rng.randint(3, 8)).items():
            write(os.path.join(out, a, name), text)


def rust_module(rng, crate, m):
    fns = []
    # About 1.4 KB a file on average, as the Python project: similar sizes in bytes.
    for i in range(rng.randint(2, 3)):
        blocking = rng.random() < 0.05
        read = (
            'std::fs::read_to_string("/etc/hostname").unwrap_or_default()'
            if blocking
            else 'tokio::fs::read_to_string("/etc/hostname").await.unwrap_or_default()'
        )
        fns.append(f'''
pub async fn handler_{m}_{i}(Path(id): Path<u64>) -> String {{
    let data = {read};
    let total = compute_{m}_{i}(id);
    format!("{{data}}{{total}}")
}}

fn compute_{m}_{i}(id: u64) -> u64 {{
    let mut total = 0;
    for k in 0..20u64 {{
        if k % 3 == 0 {{
            total += k * id;
        }} else {{
            total ^= k;
        }}
    }}
    total
}}
''')
    routes = "".join(
        f'        .route("/{m}/{i}/:id", get(handler_{m}_{i}))\n' for i in range(len(fns))
    )
    return (
        "use axum::{extract::Path, routing::get, Router};\n"
        + "".join(fns)
        + f"\npub fn router() -> Router {{\n    Router::new()\n{routes}}}\n"
    )


def generate_rust(out, n_files):
    rng = random.Random(20261124)
    per_crate = 20
    n_crates = max(1, n_files // per_crate)
    members = [f"crate{c:04d}" for c in range(n_crates)]
    write(
        os.path.join(out, "Cargo.toml"),
        "[workspace]\nmembers = [\n" + "".join(f'    "{m}",\n' for m in members) + "]\n",
    )
    for c in members:
        write(
            os.path.join(out, c, "Cargo.toml"),
            f'[package]\nname = "{c}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\naxum = "0.7"\ntokio = {{ version = "1", features = ["full"] }}\n',
        )
        mods = [f"m{k:02d}" for k in range(per_crate - 1)]
        write(os.path.join(out, c, "src", "lib.rs"), "".join(f"pub mod {m};\n" for m in mods))
        for m in mods:
            write(os.path.join(out, c, "src", f"{m}.rs"), rust_module(rng, c, m))


def generate_data(out, mb):
    """A one-view project beside a generated data module of `mb` megabytes that imports one
    project name (a task): the linearity target (50 MB costs at most 12x 5 MB)."""
    write(os.path.join(out, "app", "__init__.py"), "")
    write(
        os.path.join(out, "app", "tasks.py"),
        "from celery import shared_task\n\n\n@shared_task\ndef ping(x):\n    return x\n",
    )
    write(
        os.path.join(out, "app", "views.py"),
        "from django.urls import path\n\nfrom .tasks import ping\n\n\ndef home(request):\n"
        "    ping(1)\n    return None\n\n\nurlpatterns = [path(\"\", home)]\n",
    )
    parts = ["from .tasks import ping\n\nDATA = [\n"]
    size, i = 0, 0
    while size < mb * 1_000_000:
        line = f"    {{'id': {i}, 'name': 'item-{i}', 'tags': ['a', 'b', 'c'], 'value': {i * 3.5}}},\n"
        parts.append(line)
        size += len(line)
        i += 1
    parts.append("]\n")
    write(os.path.join(out, "app", "data.py"), "".join(parts))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("language", choices=["python", "rust", "data"])
    ap.add_argument("out")
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--mb", type=int, default=5, help="data: the size of the data module")
    args = ap.parse_args()
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    if args.language == "python":
        generate_python(args.out, args.files)
    elif args.language == "data":
        generate_data(args.out, args.mb)
    else:
        generate_rust(args.out, args.files)
    count = sum(len(fs) for _, _, fs in os.walk(args.out))
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(args.out) for f in fs)
    print(f"{args.out}: {count} files, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
