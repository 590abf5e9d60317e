//! Payloads checked as Discord checks them (50035 Invalid Form Body), against the
//! limits in [`super::limits`].

use super::*;

pub(super) fn validate_command(c: &Value, prefix: &[String], errs: &mut Vec<FieldError>) {
    let p = |rest: &[&str]| -> Vec<String> {
        prefix
            .iter()
            .cloned()
            .chain(rest.iter().map(|s| (*s).to_owned()))
            .collect()
    };
    let kind = c["type"].as_u64().unwrap_or(1);
    let name = c["name"].as_str().unwrap_or("");
    let n = name.chars().count();
    if n == 0 || n > limits::COMMAND_NAME_CHARS {
        errs.push(FieldError::at(
            p(&["name"]),
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 32 in length.",
        ));
    } else if kind == 1
        && !name
            .chars()
            .all(|ch| ch == '-' || ch == '_' || ch.is_alphanumeric() && !ch.is_uppercase())
    {
        errs.push(FieldError::at(
            p(&["name"]),
            "APPLICATION_COMMAND_INVALID_NAME",
            "Command name is invalid",
        ));
    }
    if kind == 1 {
        let d = c["description"].as_str().unwrap_or("").chars().count();
        if d == 0 || d > limits::COMMAND_DESCRIPTION_CHARS {
            errs.push(FieldError::at(
                p(&["description"]),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            ));
        }
    }
    if c["options"]
        .as_array()
        .is_some_and(|o| o.len() > limits::COMMAND_OPTIONS)
    {
        errs.push(FieldError::at(
            p(&["options"]),
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
        ));
    }
}

// ---- interaction callbacks --------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub(super) struct FieldError {
    pub(super) path: Vec<String>,
    pub(super) code: &'static str,
    pub(super) message: String,
}

impl FieldError {
    pub(super) fn new(path: &[&str], code: &'static str, message: &str) -> Self {
        Self::at(
            path.iter().map(|s| (*s).to_owned()).collect(),
            code,
            message,
        )
    }
    pub(super) fn at(path: Vec<String>, code: &'static str, message: &str) -> Self {
        FieldError {
            path,
            code,
            message: message.to_owned(),
        }
    }
}

pub(super) fn form_reply(errs: &[FieldError]) -> Reply {
    let mut root = Map::new();
    for e in errs {
        let mut cur: &mut Map<String, Value> = &mut root;
        for seg in &e.path {
            cur = cur
                .entry(seg.clone())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("object");
        }
        let list = cur.entry("_errors").or_insert_with(|| json!([]));
        if let Some(a) = list.as_array_mut() {
            a.push(json!({"code": e.code, "message": e.message}));
        }
    }
    Reply::json(
        400,
        json!({"code": 50035, "message": "Invalid Form Body", "errors": root}),
    )
}

pub(super) fn form_error(
    st: &mut St,
    ctx: &Ctx<'_>,
    errs: Vec<FieldError>,
    iid: Option<u64>,
) -> Reply {
    let detail = errs
        .iter()
        .map(|e| format!("{}: {} ({})", e.path.join("."), e.message, e.code))
        .collect::<Vec<_>>()
        .join("; ");
    st.violation(ViolationKind::InvalidFormBody, ctx, detail, iid);
    form_reply(&errs)
}

/// `None` if there are no errors; otherwise the 400 reply (empty message → 50006).
pub(super) fn check_errors(
    st: &mut St,
    ctx: &Ctx<'_>,
    errs: Vec<FieldError>,
    iid: Option<u64>,
) -> Option<Reply> {
    if errs.is_empty() {
        return None;
    }
    if errs.iter().all(|e| e.code == "EMPTY_MESSAGE") {
        st.violation(
            ViolationKind::EmptyMessage,
            ctx,
            "Cannot send an empty message".into(),
            iid,
        );
        return Some(Reply::err(400, 50006, "Cannot send an empty message"));
    }
    let errs: Vec<FieldError> = errs
        .into_iter()
        .filter(|e| e.code != "EMPTY_MESSAGE")
        .collect();
    Some(form_error(st, ctx, errs, iid))
}

pub(super) fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

pub(super) fn mentions_policy(data: &Value) -> MentionsPolicy {
    match data.get("allowed_mentions") {
        None | Some(Value::Null) => MentionsPolicy::Absent,
        Some(am) => {
            let empty = |k: &str| {
                am.get(k)
                    .is_none_or(|v| v.is_null() || v.as_array().is_some_and(Vec::is_empty))
            };
            if empty("parse")
                && empty("users")
                && empty("roles")
                && am.get("replied_user").and_then(Value::as_bool) != Some(true)
            {
                MentionsPolicy::Empty
            } else {
                MentionsPolicy::NonEmpty(am.to_string())
            }
        }
    }
}

pub(super) fn normalize_embeds(v: &Value) -> Value {
    let mut list = v.as_array().cloned().unwrap_or_default();
    for e in &mut list {
        if let Some(o) = e.as_object_mut() {
            o.entry("type").or_insert_with(|| json!("rich"));
            if let Some(fields) = o.get_mut("fields").and_then(Value::as_array_mut) {
                for f in fields {
                    if let Some(fo) = f.as_object_mut() {
                        fo.entry("inline").or_insert(json!(false));
                    }
                }
            }
        }
    }
    json!(list)
}

pub(super) fn path(prefix: &[&str], rest: &[&str]) -> Vec<String> {
    prefix
        .iter()
        .chain(rest.iter())
        .map(|s| (*s).to_owned())
        .collect()
}

/// Discord's limits for message payloads. `creating` adds the empty-message check.
pub(super) fn validate_message(
    data: &Value,
    prefix: &[&str],
    creating: bool,
    files: usize,
    errs: &mut Vec<FieldError>,
) {
    let max_len = |n: usize| format!("Must be {n} or fewer in length.");
    if chars(&data["content"]) > limits::CONTENT_CHARS {
        errs.push(FieldError::at(
            path(prefix, &["content"]),
            "BASE_TYPE_MAX_LENGTH",
            &max_len(limits::CONTENT_CHARS),
        ));
    }
    let embeds = data["embeds"].as_array().cloned().unwrap_or_default();
    if embeds.len() > limits::EMBEDS {
        errs.push(FieldError::at(
            path(prefix, &["embeds"]),
            "BASE_TYPE_MAX_LENGTH",
            &max_len(limits::EMBEDS),
        ));
    }
    let mut total = 0;
    for (i, e) in embeds.iter().enumerate() {
        let i = i.to_string();
        let mut checks: Vec<(&Value, Vec<String>, usize)> = vec![
            (
                &e["title"],
                path(prefix, &["embeds", &i, "title"]),
                limits::EMBED_TITLE_CHARS,
            ),
            (
                &e["description"],
                path(prefix, &["embeds", &i, "description"]),
                limits::EMBED_DESCRIPTION_CHARS,
            ),
            (
                &e["footer"]["text"],
                path(prefix, &["embeds", &i, "footer", "text"]),
                limits::EMBED_FOOTER_CHARS,
            ),
            (
                &e["author"]["name"],
                path(prefix, &["embeds", &i, "author", "name"]),
                limits::EMBED_AUTHOR_CHARS,
            ),
        ];
        let fields = e["fields"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        if fields.len() > limits::EMBED_FIELDS {
            errs.push(FieldError::at(
                path(prefix, &["embeds", &i, "fields"]),
                "BASE_TYPE_MAX_LENGTH",
                &max_len(limits::EMBED_FIELDS),
            ));
        }
        for (j, f) in fields.iter().enumerate() {
            let j = j.to_string();
            checks.push((
                &f["name"],
                path(prefix, &["embeds", &i, "fields", &j, "name"]),
                limits::FIELD_NAME_CHARS,
            ));
            checks.push((
                &f["value"],
                path(prefix, &["embeds", &i, "fields", &j, "value"]),
                limits::FIELD_VALUE_CHARS,
            ));
            for key in ["name", "value"] {
                if chars(&f[key]) == 0 {
                    errs.push(FieldError::at(
                        path(prefix, &["embeds", &i, "fields", &j, key]),
                        "BASE_TYPE_REQUIRED",
                        "This field is required",
                    ));
                }
            }
        }
        for (v, p, max) in checks {
            let n = chars(v);
            total += n;
            if n > max {
                errs.push(FieldError::at(p, "BASE_TYPE_MAX_LENGTH", &max_len(max)));
            }
        }
    }
    if total > limits::EMBEDS_TOTAL_CHARS {
        errs.push(FieldError::at(
            path(prefix, &["embeds"]),
            "MAX_EMBED_SIZE_EXCEEDED",
            "Embed size exceeds maximum size of 6000",
        ));
    }
    let rows = data["components"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if rows.len() > limits::ACTION_ROWS {
        errs.push(FieldError::at(
            path(prefix, &["components"]),
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 0 and 5 in length.",
        ));
    }
    let mut seen_ids: Vec<String> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let r = r.to_string();
        if row["type"].as_u64() != Some(1) {
            errs.push(FieldError::at(
                path(prefix, &["components", &r, "type"]),
                "UNION_TYPE_CHOICES",
                "Top-level components must be action rows (type 1).",
            ));
            continue;
        }
        let comps = row["components"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if comps.is_empty() || comps.len() > limits::BUTTONS_PER_ROW {
            errs.push(FieldError::at(
                path(prefix, &["components", &r, "components"]),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 5 in length.",
            ));
        }
        let has_select = comps
            .iter()
            .any(|c| matches!(c["type"].as_u64(), Some(3 | 5 | 6 | 7 | 8)));
        if has_select && comps.len() > 1 {
            errs.push(FieldError::at(
                path(prefix, &["components", &r, "components"]),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            ));
        }
        for (k, c) in comps.iter().enumerate() {
            let k = k.to_string();
            let cp = |leaf: &str| path(prefix, &["components", &r, "components", &k, leaf]);
            let ty = c["type"].as_u64().unwrap_or(0);
            let style = c["style"].as_u64().unwrap_or(0);
            let needs_id = (ty == 2 && !matches!(style, 5 | 6)) || matches!(ty, 3..=8);
            match c["custom_id"].as_str() {
                Some(id) => {
                    let n = id.chars().count();
                    if n > limits::CUSTOM_ID_CHARS {
                        errs.push(FieldError::at(
                            cp("custom_id"),
                            "BASE_TYPE_MAX_LENGTH",
                            &max_len(limits::CUSTOM_ID_CHARS),
                        ));
                    } else if n == 0 {
                        errs.push(FieldError::at(
                            cp("custom_id"),
                            "BASE_TYPE_REQUIRED",
                            "This field is required",
                        ));
                    }
                    if seen_ids.iter().any(|x| x == id) {
                        errs.push(FieldError::at(
                            cp("custom_id"),
                            "COMPONENT_CUSTOM_ID_DUPLICATED",
                            "Component custom id cannot be duplicated",
                        ));
                    }
                    seen_ids.push(id.to_owned());
                }
                None if needs_id => {
                    errs.push(FieldError::at(
                        cp("custom_id"),
                        "BASE_TYPE_REQUIRED",
                        "This field is required",
                    ));
                }
                None => {}
            }
            if ty == 2 && chars(&c["label"]) > limits::BUTTON_LABEL_CHARS {
                errs.push(FieldError::at(
                    cp("label"),
                    "BASE_TYPE_MAX_LENGTH",
                    &max_len(limits::BUTTON_LABEL_CHARS),
                ));
            }
            if (3..=8).contains(&ty) {
                if chars(&c["placeholder"]) > limits::SELECT_PLACEHOLDER_CHARS {
                    errs.push(FieldError::at(
                        cp("placeholder"),
                        "BASE_TYPE_MAX_LENGTH",
                        &max_len(limits::SELECT_PLACEHOLDER_CHARS),
                    ));
                }
                for key in ["min_values", "max_values"] {
                    if c[key]
                        .as_u64()
                        .is_some_and(|n| n > limits::SELECT_OPTIONS as u64)
                    {
                        errs.push(FieldError::at(
                            cp(key),
                            "NUMBER_TYPE_MAX",
                            "int value should be less than or equal to 25.",
                        ));
                    }
                }
            }
            if ty == 3 {
                let opts = c["options"].as_array().map(Vec::as_slice).unwrap_or(&[]);
                if opts.is_empty() || opts.len() > limits::SELECT_OPTIONS {
                    errs.push(FieldError::at(
                        cp("options"),
                        "BASE_TYPE_BAD_LENGTH",
                        "Must be between 1 and 25 in length.",
                    ));
                }
                for (o, opt) in opts.iter().enumerate() {
                    let o = o.to_string();
                    for key in ["label", "value", "description"] {
                        if chars(&opt[key]) > limits::SELECT_OPTION_CHARS {
                            errs.push(FieldError::at(
                                path(
                                    prefix,
                                    &["components", &r, "components", &k, "options", &o, key],
                                ),
                                "BASE_TYPE_MAX_LENGTH",
                                &max_len(limits::SELECT_OPTION_CHARS),
                            ));
                        }
                    }
                }
            }
        }
    }
    if creating {
        let has = |k: &str| data[k].as_array().is_some_and(|a| !a.is_empty());
        if chars(&data["content"]) == 0
            && !has("embeds")
            && !has("components")
            && !has("sticker_ids")
            && files == 0
            && data.get("poll").is_none()
        {
            errs.push(FieldError::at(
                path(prefix, &[]),
                "EMPTY_MESSAGE",
                "Cannot send an empty message",
            ));
        }
    }
}

pub(super) fn validate_modal(data: &Value, errs: &mut Vec<FieldError>) {
    if chars(&data["custom_id"]) > limits::CUSTOM_ID_CHARS {
        errs.push(FieldError::new(
            &["data", "custom_id"],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 100 or fewer in length.",
        ));
    }
    if chars(&data["title"]) > limits::MODAL_TITLE_CHARS {
        errs.push(FieldError::new(
            &["data", "title"],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 45 or fewer in length.",
        ));
    }
    let rows = data["components"].as_array().map_or(0, Vec::len);
    if rows == 0 || rows > limits::ACTION_ROWS {
        errs.push(FieldError::new(
            &["data", "components"],
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 5 in length.",
        ));
    }
}
