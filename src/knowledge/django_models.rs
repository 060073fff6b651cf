//! `rules/python/django_models.toml`: what Django models, querysets, forms, requests and
//! files look like, for the local data flow.

use serde::Deserialize;

use super::pattern::{self, PathPattern};

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DjangoModels {
    pub models: Models,
    pub querysets: QuerySets,
    pub forms: Forms,
    pub views: ObjectViews,
    #[serde(default)]
    pub form_views: FormViews,
    #[serde(default)]
    pub admin: AdminRows,
    pub request: Request,
    pub files: Files,
    #[serde(default)]
    pub signals: Signals,
    #[serde(default)]
    pub framework_saves: Vec<FrameworkSave>,
}

/// A save the framework makes for a class the project only declares (a DRF generic
/// view, a Django editing view, a ModelAdmin): the receivers of the saved model's save
/// signals run in that class's requests.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkSave {
    /// What the class is, for the note (`Django admin`).
    pub framework: String,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub bases: Vec<PathPattern>,
    /// The framework methods the save goes through: a project override of one is
    /// project code, followed as such, so the framework's save is not assumed.
    #[serde(default)]
    pub through: Vec<String>,
    /// The attribute naming the form or serializer class whose `Meta.model` is saved.
    #[serde(default)]
    pub form_attribute: Option<String>,
    /// Methods whose override may choose another form class.
    #[serde(default)]
    pub choosers: Vec<String>,
    /// Without a form class, the class's own `model` (or `queryset`) is saved.
    #[serde(default)]
    pub own_model: bool,
    /// Class decorators naming the saved model as their first argument
    /// (`@admin.register(Project)`).
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub registered_by: Vec<PathPattern>,
    /// How the framework saves, for the note.
    #[serde(default)]
    pub how: String,
    /// False for a class the framework only deletes through (`[...deletes]` then says
    /// how).
    #[serde(default = "yes")]
    pub saves: bool,
    /// The framework also deletes the instance (its `delete()` sends `pre_delete` /
    /// `post_delete`).
    #[serde(default)]
    pub deletes: Option<FrameworkDelete>,
}

/// How the framework deletes an instance for such a class.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkDelete {
    /// The framework methods the delete goes through (as [`FrameworkSave::through`]).
    pub through: Vec<String>,
    /// How, for the note.
    pub how: String,
}

fn yes() -> bool {
    true
}

/// Signals whose receivers run inside the call that sends them.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signals {
    #[serde(default)]
    pub model: Vec<ModelSignal>,
    /// Classes whose project instances are signals (`done = Signal()`).
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub classes: Vec<PathPattern>,
    /// Methods of such a signal that run its receivers before returning.
    #[serde(default)]
    pub send_methods: Vec<String>,
    /// Model methods a decorator makes run inside the model's own `save()` / `delete()`.
    #[serde(default)]
    pub hooks: Vec<ModelHooks>,
}

/// A decorator that makes a model method run inside the model's `save()` or `delete()`
/// (django-lifecycle's `@hook(AFTER_CREATE)`), by the moment named as its first argument.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelHooks {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub decorators: Vec<PathPattern>,
    /// Moments (upper case, as the library's constants) run by `save()`.
    pub save: Vec<String>,
    /// Moments run by `delete()`.
    pub delete: Vec<String>,
    /// Of the save moments, those run only for a new row, and those only for an
    /// existing one.
    #[serde(default)]
    pub creating: Vec<String>,
    #[serde(default)]
    pub updating: Vec<String>,
}

/// Model signals sent by instance and manager methods of the model named as `sender`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSignal {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub signals: Vec<PathPattern>,
    pub instance_methods: Vec<String>,
    #[serde(default)]
    pub manager_methods: Vec<String>,
    /// Manager methods that send the signal only for a new row (`created` is true).
    #[serde(default)]
    pub creating_methods: Vec<String>,
    /// Manager methods that save a new row only when none matches their lookup
    /// (`get_or_create`): counted as creating when the lookup is built from values
    /// that vary; a lookup of literals finds the same row after its first call.
    #[serde(default)]
    pub creating_when_missing_methods: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Models {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub bases: Vec<PathPattern>,
    /// Field classes: a project class whose body assigns a call of one is a model
    /// whatever its bases (an abstract model of an unlisted package).
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub field_calls: Vec<PathPattern>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub class_factories: Vec<PathPattern>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub instance_calls: Vec<PathPattern>,
    /// Of those and of `queryset_calls`, the ones whose first argument is the model (or a
    /// queryset of it).
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub model_argument_calls: Vec<PathPattern>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub queryset_calls: Vec<PathPattern>,
    pub manager_attributes: Vec<String>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub manager_bases: Vec<PathPattern>,
    pub manager_factory_methods: Vec<String>,
    /// What Django appends to a model's lowercased name for the manager of the rows
    /// that point at an instance (`project.task_set` for a `Task` with a foreign key to
    /// `Project`).
    #[serde(default)]
    pub reverse_manager_suffix: String,
    /// Relation fields whose attribute on an instance is the one row they point at.
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub to_one_fields: Vec<PathPattern>,
    /// Relation fields whose attribute on an instance is a manager of the rows.
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub to_many_fields: Vec<PathPattern>,
    /// The setting naming the user model (`"accounts.User"`), and the model name used
    /// for it (what `request.user` is).
    #[serde(default)]
    pub user_model_setting: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuerySets {
    pub instance_methods: Vec<String>,
    pub instance_tuple_methods: Vec<String>,
    pub queryset_methods: Vec<String>,
    pub row_methods: Vec<String>,
    pub query_methods: Vec<String>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub evaluating_calls: Vec<PathPattern>,
    pub instance_query_methods: Vec<String>,
    /// Methods of managers, querysets and instances that write rows.
    pub write_methods: Vec<String>,
    /// Instance methods that write the instance's fields back to its row.
    pub instance_write_methods: Vec<String>,
    /// Instance methods that read the row again, replacing what the instance held.
    pub instance_refresh_methods: Vec<String>,
    /// Methods of a model instance (a content type) that read rows of a model known
    /// only at run time.
    #[serde(default)]
    pub generic_read_methods: Vec<String>,
    /// Calls that give a model class known only at run time.
    #[serde(default, deserialize_with = "pattern::deserialize_list")]
    pub generic_read_calls: Vec<PathPattern>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Forms {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub model_forms: Vec<PathPattern>,
    /// Parameters of their methods that the framework fills with the form's model instance.
    #[serde(default)]
    pub instance_parameters: Vec<InstanceParameter>,
}

/// `index` counts from the method's first parameter (`self` is 0).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceParameter {
    pub method: String,
    pub index: usize,
}

/// Class-based views that make a form of their `attribute` class (Django's editing
/// views): `self.get_form()` and the `form` parameter of `form_valid` are instances of
/// it, unless the project overrides one of `choosers` (which may pick another class).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormViews {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub bases: Vec<PathPattern>,
    pub methods: Vec<String>,
    pub attribute: String,
    pub choosers: Vec<String>,
    /// Parameters the framework fills with the form (`index` 0 is `self`).
    pub parameters: Vec<InstanceParameter>,
}

/// The model a `ModelAdmin` is for (its `model_attribute`, a `registered_by` decorator,
/// a `register_methods` call in its module) and where the admin hands over a row of it:
/// `instance_methods` on `self` return one, `parameters` receive one, and so does the
/// row argument of a method the class names in one of `row_lists`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminRows {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub bases: Vec<PathPattern>,
    pub model_attribute: String,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub registered_by: Vec<PathPattern>,
    pub register_methods: Vec<String>,
    pub instance_methods: Vec<String>,
    pub parameters: Vec<InstanceParameter>,
    pub row_lists: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectViews {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub bases: Vec<PathPattern>,
    pub instance_methods: Vec<String>,
    pub instance_attributes: Vec<String>,
    pub queryset_methods: Vec<String>,
    /// Methods that return an instance of the class named by `serializer_attribute`
    /// (DRF's `get_serializer`), unless the project overrides one of `serializer_choosers`.
    #[serde(default)]
    pub serializer_methods: Vec<String>,
    #[serde(default)]
    pub serializer_attribute: String,
    #[serde(default)]
    pub serializer_choosers: Vec<String>,
    /// Parameters DRF fills with the view's serializer (`perform_create(self,
    /// serializer)`; `index` 0 is `self`).
    #[serde(default)]
    pub serializer_parameters: Vec<InstanceParameter>,
    /// Parameters DRF fills with the row `get_object()` found (`perform_destroy(self,
    /// instance)`).
    #[serde(default)]
    pub instance_parameters: Vec<InstanceParameter>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub parameter_names: Vec<String>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub classes: Vec<PathPattern>,
    pub user_attributes: Vec<String>,
    pub files_attributes: Vec<String>,
    pub files_getters: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Files {
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub open_calls: Vec<PathPattern>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub file_classes: Vec<PathPattern>,
    #[serde(deserialize_with = "pattern::deserialize_list")]
    pub model_fields: Vec<PathPattern>,
    pub stored_file_methods: Vec<String>,
}
