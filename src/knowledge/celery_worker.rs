//! `rules/python/celery_worker.toml`: what a Celery worker imports when it starts.

use serde::Deserialize;

use super::pattern::{self, PathPattern};

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeleryWorker {
    pub app: CeleryApp,
    pub django: DjangoSetup,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeleryApp {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub classes: Vec<PathPattern>,
    pub autodiscover_method: String,
    pub default_related_name: String,
    pub include_keyword: String,
    pub imports_settings: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DjangoSetup {
    pub installed_apps_setting: String,
    pub app_submodules: Vec<String>,
    pub urlconf_setting: String,
    pub app_packages_imported_whole: Vec<String>,
    #[serde(default)]
    pub autodiscover: Vec<AppAutodiscover>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppAutodiscover {
    pub apps: Vec<String>,
    pub submodule: String,
}
