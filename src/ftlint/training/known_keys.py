"""Known config keys per framework, for unknown-key and commented-out-key detection.

Generated once from the frameworks' own definitions (dataclass and pydantic field names, with
aliases), read from these released packages: transformers 4.53.3 and 5.24.0
(``TrainingArguments``, ``Seq2SeqTrainingArguments``), trl 0.19.1 and 1.16.0 (every ``*Config``,
``ModelConfig``, ``ScriptArguments``, ``DatasetMixtureConfig``), axolotl 0.19.0
(``AxolotlInputConfig`` with its bases, the integrations' ``args.py`` and the dataset models),
llamafactory 0.9.5 (``hparams/*`` for v0 and ``v1/config/*`` for v1) and torchtune 0.6.1 (the
top-level keys of every recipe config it ships).  Keys from both an old and a new release are
included, so a key that was renamed is reported by the adapters' deprecation tables, not as
unknown.  The example-script and alignment-handbook sets were written by hand from their sources.
"""

from __future__ import annotations

#: ``TrainingArguments`` and ``Seq2SeqTrainingArguments`` fields (transformers 4.53 and 5.24).
TRANSFORMERS_KEYS: frozenset[str] = frozenset(
    """
    accelerator_config activation_checkpointing activation_checkpointing_kwargs adafactor adam_beta1
    adam_beta2 adam_epsilon auto_find_batch_size average_tokens_across_devices batch_eval_metrics
    bf16 bf16_full_eval data_seed dataloader_drop_last dataloader_in_order
    dataloader_multiprocessing_context dataloader_num_workers dataloader_persistent_workers
    dataloader_pin_memory dataloader_prefetch_factor ddp_backend ddp_broadcast_buffers
    ddp_bucket_cap_mb ddp_find_unused_parameters ddp_static_graph ddp_timeout debug deepspeed
    disable_tqdm do_eval do_predict do_train enable_jit_checkpoint eval_accumulation_steps
    eval_delay eval_do_concat_batches eval_on_start eval_steps eval_strategy eval_use_gather_object
    fp16 fp16_backend fp16_full_eval fp16_opt_level fsdp fsdp_config fsdp_min_num_params
    fsdp_transformer_layer_cls_to_wrap full_determinism generation_config generation_max_length
    generation_num_beams gradient_accumulation_steps gradient_checkpointing
    gradient_checkpointing_kwargs greater_is_better group_by_length half_precision_backend
    hub_always_push hub_model_id hub_private_repo hub_revision hub_strategy hub_token
    ignore_data_skip include_for_metrics include_inputs_for_metrics include_num_input_tokens_seen
    include_tokens_per_second jit_mode_eval label_names label_smoothing_factor learning_rate
    length_column_name liger_kernel_config load_best_model_at_end local_rank log_level
    log_level_replica log_on_each_node logging_dir logging_first_step logging_nan_inf_filter
    logging_steps logging_strategy lr_scheduler_kwargs lr_scheduler_type max_grad_norm max_steps
    metric_for_best_model mp_parameters neftune_noise_alpha no_cuda num_train_epochs optim
    optim_args optim_target_modules output_dir overwrite_output_dir parallelism_config past_index
    per_device_eval_batch_size per_device_train_batch_size per_gpu_eval_batch_size
    per_gpu_train_batch_size predict_with_generate prediction_loss_only project push_to_hub
    push_to_hub_model_id push_to_hub_organization push_to_hub_token ray_scope remove_unused_columns
    report_to restore_callback_states_from_checkpoint resume_from_checkpoint run_name
    save_on_each_node save_only_model save_safetensors save_steps save_strategy save_total_limit
    seed skip_memory_metrics sortish_sampler tf32 torch_compile torch_compile_backend
    torch_compile_mode torch_empty_cache_steps torchdynamo tpu_metrics_debug tpu_num_cores
    trackio_bucket_id trackio_space_id trackio_static_space_id train_sampling_strategy use_cache
    use_cpu use_ipex use_legacy_prediction_loop use_liger_kernel use_mps_device warmup_ratio
    warmup_steps weight_decay
    """.split()
)

#: TRL config fields not already in TRANSFORMERS_KEYS (trl 0.19 and 1.16).
TRL_KEYS: frozenset[str] = frozenset(
    """
    accelerator_kwargs activation_offloading add_tail_bucket allow_tf32 alpha assistant_only_loss
    async_reward_computation attn_implementation base_model_attribute_name beta beta1 beta2
    bnb_4bit_quant_storage bnb_4bit_quant_type cache_implementation callbacks cast_lm_head_to_fp32
    center_rewards_coefficient chat_template_kwargs chat_template_path cliprange cliprange_value
    completion_only_loss cpo_alpha dataset_config dataset_kwargs dataset_name dataset_num_proc
    dataset_streaming dataset_test_split dataset_text_field dataset_train_split datasets delta
    desirable_weight diagnostics_flat_tolerance diagnostics_warning_interval disable_dropout
    discopop_tau distillation_add_tail distillation_alpha distillation_is_clip distillation_mode
    distillation_objective distillation_topk distillation_weight dont_reprompt_on_self_success
    ds3_gather_for_generation dtype entropy_coef entropy_coef_delta entropy_coef_max
    entropy_coef_min entropy_target environment_feedback_only_without_solution eos_token epsilon
    epsilon_high eval_packing exp_name f_alpha_divergence_coef f_divergence_type feedback_template
    filter_all_incorrect force_use_ref_model fork_threshold_tokens gamma generate_during_eval
    generate_from_teacher generation_batch_size generation_kwargs gpu_memory_utilization
    gradient_checkpointing_use_reentrant heartbeat_stale_after_s ignore_bias_buffers
    importance_sampling_level include_environment_feedback is_encoder_decoder iw_opd_epsilon
    iw_opd_gamma judge kl_coef kl_estimator label_pad_token_id label_smoothing lam ld_alpha lmbda
    load_in_4bit load_in_8bit log_completions log_completions_hub_repo log_completions_steps
    log_image_freq log_multimodal log_unique_prompts log_with logdir lora_alpha lora_dropout
    lora_modules_to_save lora_r lora_target_modules lora_target_parameters lora_task_type
    loss_add_tail loss_top_k loss_type loss_weights mask_truncated_completions max_completion_length
    max_density_ratio max_inflight_tasks max_length max_new_tokens max_prompt_length
    max_reprompt_len max_seq_length max_staleness max_tool_calling_iterations max_workers
    min_density_ratio min_p missing_eos_penalty mixed_precision mixture_coef model_adapter_name
    model_init_kwargs model_name_or_path model_revision multi_objective_aggregation negative_prompts
    normalize_advantage normalize_advantages normalize_reward num_checkpoint_limit
    num_completions_to_print num_epochs num_generations num_generations_eval num_iterations
    num_loss_tokens_to_skip num_ppo_epochs num_value_samples off_policy_mask_threshold
    optimize_device_cache packing packing_strategy pad_to_multiple_of pad_token padding_free
    padding_value per_prompt_stat_tracking per_prompt_stat_tracking_buffer_size
    per_prompt_stat_tracking_min_count precompute_ref_batch_size precompute_ref_log_probs
    project_kwargs prompt_sample_size queue_maxsize ref_adapter_name ref_model_init_kwargs
    ref_model_mixup_alpha ref_model_sync_steps reference_free remove_thinking_from_demonstration
    repetition_penalty reprompt_template request_timeout resume_from reverse_kl_top_1_mode
    reward_clip_range reward_model_path reward_weights rloo_k router_aux_loss_coef rpo_alpha
    sample_batch_size sample_eta sample_guidance_scale sample_num_batches_per_epoch sample_num_steps
    sapo_temperature_neg sapo_temperature_pos save_freq scale_rewards seq_kd shuffle_dataset
    simpo_gamma solution_template step_separator steps_per_generation streaming
    success_reward_threshold sync_ref_model teacher_model_init_kwargs teacher_model_kind
    teacher_model_name_or_path teacher_model_revision teacher_model_server_url
    teacher_prompt_template teacher_server_urls teacher_sync_steps teacher_temperature
    teacher_tokenizer_name_or_path teacher_top_k teacher_update_rate temperature test_split_size
    token_budget token_level_kl tools top_entropy_quantile top_k top_p torch_dtype tpo_alpha
    tpo_l_gamma tracker_kwargs tracker_project_name train_adam_beta1 train_adam_beta2
    train_adam_epsilon train_adam_weight_decay train_adv_clip_max train_batch_size train_cfg
    train_clip_range train_gradient_accumulation_steps train_learning_rate train_max_grad_norm
    train_num_inner_epochs train_on_last_step_only train_timestep_fraction train_use_8bit_adam
    transformers_continuous_batching_config truncated_backprop_rand truncated_backprop_timestep
    truncated_rand_backprop_minmax truncation_mode trust_remote_code uld_crossentropy_weight
    uld_distillation_weight uld_hybrid_matched_weight uld_hybrid_unmatched_weight
    uld_skip_student_eos uld_skip_teacher_eos uld_student_temperature uld_teacher_temperature
    uld_token_merge_strategy uld_use_hybrid_loss undesirable_weight use_adaptive_entropy
    use_bias_correction_kl use_bnb_nested_quant use_dora use_extended_uld use_liger_loss
    use_logits_to_keep use_peft use_rslora use_successful_as_teacher use_teacher_server
    use_transformers_continuous_batching use_transformers_paged use_uld_loss use_vllm use_weighting
    vespo_k_neg vespo_k_pos vespo_lambda_neg vespo_lambda_pos vf_coef vllm_enable_sleep_mode
    vllm_gpu_memory_utilization vllm_group_port vllm_guided_decoding_regex
    vllm_importance_sampling_cap vllm_importance_sampling_clip_max vllm_importance_sampling_clip_min
    vllm_importance_sampling_correction vllm_importance_sampling_mode vllm_max_model_length
    vllm_mode vllm_model_impl vllm_server_base_url vllm_server_host vllm_server_port
    vllm_server_timeout vllm_structured_outputs_regex vllm_sync_frequency vllm_tensor_parallel_size
    wandb_log_unique_prompts weight_sync_steps weight_sync_timeout whiten_rewards
    """.split()
)

#: ``ModelArguments``/``DataTrainingArguments`` of the transformers example scripts (run_glue, run_clm, ...).
HF_SCRIPT_KEYS: frozenset[str] = frozenset(
    """
    answer_column_name block_size cache_dir config_name config_overrides context_column_name
    dataset_config_name dataset_name do_regression doc_stride forced_bos_token
    ignore_mismatched_sizes ignore_pad_token_for_loss keep_linebreaks label_all_tokens
    label_column_name lang line_by_line low_cpu_mem_usage max_answer_length max_eval_samples
    max_predict_samples max_seq_length max_source_length max_target_length max_train_samples
    metric_name mlm_probability model_name model_name_or_path model_revision model_type n_best_size
    null_score_diff_threshold num_beams overwrite_cache pad_to_max_length preprocessing_num_workers
    question_column_name remove_columns remove_splits return_entity_level_metrics shuffle_seed
    shuffle_train_dataset source_prefix streaming summary_column task_name test_file text_column
    text_column_delimiter text_column_names token tokenizer_name torch_dtype train_file
    train_split_name trust_remote_code use_auth_token use_fast_tokenizer val_max_target_length
    validation_file validation_split_name validation_split_percentage version_2_with_negative
    """.split()
)

#: alignment-handbook additions (``ScriptArguments``, ``SFTConfig``, old ``DataArguments``) and the TRL CLI's ``env``.
ALIGNMENT_HANDBOOK_KEYS: frozenset[str] = frozenset(
    """
    attn_implementation auto_insert_empty_system_msg base_model_revision benchmarks
    bnb_4bit_quant_storage bnb_4bit_quant_type callbacks chat_template dataset_configs dataset_mixer
    dataset_mixture dataset_splits env hub_model_revision model_code_revision overwrite_hub_revision
    push_to_hub_revision system_prompt text_column tokenizer_name_or_path torch_dtype
    truncation_side use_bnb_nested_quant use_flash_attention_2 wandb_entity wandb_project
    wandb_run_group
    """.split()
)

#: Axolotl top-level keys (axolotl 0.19.0 schema, integrations included, aliases included).
AXOLOTL_KEYS: frozenset[str] = frozenset(
    """
    accelerator_config activation_offloading adam_beta1 adam_beta2 adam_beta3 adam_epsilon
    adam_epsilon2 adapter added_tokens_overrides api_key attn_implementation auto_find_batch_size
    auto_resume_from_checkpoints axolotl_config_path backend base_model base_model_config base_url
    batch_flattening batch_size bench_dataset bench_split bf16 bfloat16 bnb_config_kwargs
    capabilities center_rewards_coefficient chat_template chat_template_jinja chat_template_kwargs
    chunked_cross_entropy chunked_cross_entropy_num_chunks cls_model_config comet_api_key
    comet_experiment_config comet_experiment_key comet_mode comet_online comet_project_name
    comet_workspace context_parallel_size cosine_constant_lr_ratio cosine_min_lr_ratio cpo_alpha
    curriculum_sampling cut_cross_entropy dataloader_drop_last dataloader_num_workers
    dataloader_pin_memory dataloader_prefetch_factor dataset_exact_deduplication
    dataset_keep_in_memory dataset_num_proc dataset_prepared_path dataset_processes
    dataset_shard_idx dataset_shard_num datasets ddp ddp_broadcast_buffers ddp_bucket_cap_mb
    ddp_find_unused_parameters ddp_timeout debug deepcompile deepspeed default_system_message
    dense_mixer device device_map diffusion dion_lr dion_momentum dion_rank_fraction
    dion_rank_multiple_of do_bench_eval do_causal_lm_eval dp_replicate_size dp_shard_size dpo_beta
    dpo_generate_during_eval dpo_label_smoothing dpo_loss_type dpo_loss_weights dpo_norm_loss
    dpo_padding_free dpo_use_liger_kernel dpo_use_logits_to_keep dpo_use_weighting dsv4_bf16_all
    dsv4_fp4_grouped_mode dsv4_fp8_lora_kernel dsv4_fp8_nonexpert_mode dsv4_shared_mlp_lora_kernel
    dynamic_checkpoint eaft_alpha eaft_k eager_attention early_stopping_patience ebft embedding_lr
    embedding_lr_scale embeddings_skip_upcast env_capabilities eot_tokens eps eval_batch_size
    eval_causal_lm_metrics eval_max_new_tokens eval_sample_packing eval_sequence_len eval_steps
    eval_strategy eval_table_size evals_per_epoch evaluation_strategy excess_length_strategy
    experimental_skip_move_to_device expert_backend expert_parallel_backend
    expert_parallel_fallback_on_unsupported expert_parallel_num_nvl_bytes
    expert_parallel_num_rdma_bytes expert_parallel_size expert_parallel_token_capacity
    experts_implementation fix_untrained_tokens flash_attention flash_attn_cross_entropy
    flash_attn_d512 flash_attn_fuse_mlp flash_attn_rms_norm flash_optimum flex_attention
    flex_attn_compile_kwargs float16 float32 fp16 fp32_norm_classes fp32_norms fp8 fp8_config
    fp8_enable_fsdp_float8_all_gather freeze_mm_modules fsdp fsdp_config fsdp_final_state_dict_type
    fsdp_version fused_attn_kernel future_timeout gc_collect_steps gc_steps gemma4_fp8_nonexpert
    gemma4_hybrid_attn_impl gemma4_nf4_nonexpert generate_samples generation_do_sample
    generation_interval generation_max_length generation_max_new_tokens generation_prompt_ratio
    generation_steps generation_temperature generation_top_k generation_top_p gptq gpu_memory_limit
    gradient_accumulation_steps gradient_checkpointing gradient_checkpointing_kwargs
    gradio_max_new_tokens gradio_server_name gradio_server_port gradio_share gradio_temperature
    gradio_title greater_is_better grokfast_alpha grokfast_lamb group_by_length hatchery
    heads_k_stride hf_mlflow_log_artifacts hf_use_auth_token hub_model_id hub_revision hub_strategy
    image_resize_algorithm image_size importance_weighting include_tkps include_tokens_per_second
    is_falcon_derived_model is_llama_derived_model is_mistral_derived_model is_preprocess
    is_qwen_derived_model jagged_restart_anneal_steps jagged_restart_steps
    jagged_restart_warmup_steps kd_alpha kd_beta kd_ce_alpha kd_normalize_topk kd_online_server
    kd_online_server_base_url kd_online_timeout kd_online_topk kd_temperature kd_temperature_min
    kd_trainer kto_desirable_weight kto_undesirable_weight large_head_attention layer_offloading
    learning_rate liger_cross_entropy liger_fused_linear_cross_entropy liger_glu_activation
    liger_kernel_impl liger_layer_norm liger_rms_norm liger_rms_norm_gated liger_rope liger_swiglu
    liger_use_token_scaling lisa_layers_attribute lisa_n_layers lisa_step_interval
    llama4_linearized_experts llmcompressor lm_eval_batch_size lm_eval_model lm_eval_post_train
    lm_eval_tasks load_best_model_at_end load_in_4bit load_in_8bit local_rank logging_steps
    lora_alpha lora_alpha_pattern lora_dropout lora_embedding_kernel lora_fan_in_fan_out
    lora_mlp_kernel lora_model_dir lora_modules_to_save lora_o_kernel lora_on_cpu lora_qkv_kernel
    lora_r lora_rank lora_rank_pattern lora_target_linear lora_target_modules lora_target_parameters
    loraplus_lr_embedding loraplus_lr_ratio loss_fn loss_fn_config loss_watchdog_patience
    loss_watchdog_threshold low_cpu_mem_usage lr_div_factor lr_groups lr_quadratic_warmup
    lr_scheduler lr_scheduler_kwargs mask_token_id mask_token_str max_grad_norm max_mask_ratio
    max_memory max_packed_sequence_len max_prompt_len max_sample_tokens max_steps
    mean_resizing_embeddings merge_lora merge_method metric_for_best_model micro_batch_size
    min_mask_ratio min_sample_len mlflow_experiment_name mlflow_run_name mlflow_tracking_uri
    model_config model_kwargs model_quantization_config model_quantization_config_kwargs
    model_revision model_type moe_bnb_fast moe_dequant_chunk_size moe_grouped_backend mora mora_type
    multipack_real_batches neftune_noise_alpha nemo_gym_auto_clone nemo_gym_auto_start
    nemo_gym_config_paths nemo_gym_datasets nemo_gym_dir nemo_gym_enabled nemo_gym_head_port
    nemo_gym_max_turns nemo_gym_model_name nemo_gym_multi_turn nemo_gym_run_timeout
    nemo_gym_server_timeout nemo_gym_verify_timeout noise_schedule noisy_embedding_alpha
    nonexpert_quantization num_dataset_shards_to_save num_diffusion_steps num_epochs
    num_generation_samples num_labels num_samples nvfp4_merge_aware nvfp4_merge_aware_start_step
    optim_args optim_target_modules optimizer orpo_alpha otel_metrics_host otel_metrics_port
    output_dir pad_to_multiple_of pad_to_sequence_len peft peft_autocast_adapter_dtype
    peft_ensure_weight_tying peft_init_lora_weights peft_layer_replication peft_layers_pattern
    peft_layers_to_transform peft_trainable_token_indices peft_use_dora peft_use_rslora pipeline
    ple_cpu_offload plugins pose_max_context_len pose_num_chunks pose_split_on_token_ids
    precompute_ref_log_probs preprocess_iterable pretrain_multipack_attn
    pretrain_multipack_buffer_size pretraining_dataset pretraining_sample_concatenation
    process_reward_model processor_kwargs processor_type profiler_steps profiler_steps_start
    project_id push_dataset_to_hub qat qgalore_cos_threshold qgalore_gamma_proj qgalore_proj_bits
    qgalore_proj_group_size qgalore_proj_quant qgalore_proj_type qgalore_queue_size qgalore_rank
    qgalore_scale qgalore_update_proj_gap qlora_sharded_model_loading quantization
    quantize_moe_experts ray_num_workers ray_run_name recipe reinit_weights relora
    relora_cpu_offload relora_prune_method relora_prune_ratio remove_unused_columns
    resize_token_embeddings_to_32x resources_per_worker resume_from_checkpoint reward_funcs
    reward_model ring_attn_func rl rl_beta role_boundaries rope_scaling rpo_alpha s2_attention
    sage_attention sample_packing sample_packing_bin_size sample_packing_eff_est
    sample_packing_group_size sample_packing_mp_start_method sample_packing_sequentially
    sample_temperature save_compressed save_first_step save_name_prefix save_only_model
    save_safetensors save_steps save_strategy save_total_limit saves_per_epoch scaling_softmax
    scaling_softmax_bias scaling_softmax_factor sdp_attention sdpa_varlen seed
    selective_checkpointing sequence_len sequence_parallel_degree shrink_embeddings
    shuffle_before_merging_datasets shuffle_merged_datasets simpo_gamma skip_prepare_dataset
    special_tokens spectrum_model_name spectrum_top_fraction streaming
    streaming_multipack_buffer_size strict swanlab_api_host swanlab_api_key
    swanlab_completion_log_interval swanlab_completion_max_buffer swanlab_description
    swanlab_experiment_name swanlab_lark_secret swanlab_lark_webhook_url swanlab_log_completions
    swanlab_log_model swanlab_mode swanlab_project swanlab_web_host swanlab_workspace
    tensor_parallel_size test_datasets tf32 tiled_mlp tiled_mlp_num_shards
    tiled_mlp_use_original_mlp tokenizer_config tokenizer_legacy tokenizer_save_jinja_files
    tokenizer_type tokenizer_use_fast tokenizer_use_mistral_common tokens torch_compile
    torch_compile_backend torch_compile_mode torch_compile_options torch_empty_cache_steps
    torchdistx_path total_num_tokens total_supervised_tokens trackio_project_name trackio_run_name
    trackio_space_id train_attn train_mlp train_on_inputs train_unembed trainer_cls trl
    trust_remote_code unfrozen_parameters use_comet use_dsv4_kernels use_eaft use_glm_dsa_kernels
    use_kernels use_mlflow use_mora use_onebitllms use_otel_metrics use_pose use_ray use_scattermoe
    use_sonicmoe use_swanlab use_tensorboard use_trackio use_wandb val_set_size vllm wandb_entity
    wandb_log_model wandb_mode wandb_name wandb_project wandb_run_id wandb_watch warmup_ratio
    warmup_steps weight_decay world_size xformers_attention
    """.split()
)

#: Keys of an Axolotl ``datasets:``/``test_datasets:`` entry.
AXOLOTL_DATASET_KEYS: frozenset[str] = frozenset(
    """
    chat_template chat_template_jinja chosen_format completion_format conversation data_files
    drop_system_message ds_type field field_chosen field_completion field_human field_input
    field_instruction field_label field_messages field_model field_output field_prompt
    field_rejected field_system field_thinking field_tools format input_format input_transform
    length logprobs_field max_completion_length max_input_id message_field_content
    message_field_role message_field_training message_field_training_detail
    message_property_mappings min_input_id name no_input_format path preprocess_shards prompt_format
    rejected_format revision roles roles_to_train seed sequence_length shards shards_idx skip split
    split_thinking step_separator system_format system_prompt temperature template_thinking_key
    text_column train_on_eos train_on_eot train_on_last_step_only trust_remote_code type
    """.split()
)

#: LLaMA-Factory v0 keys (its own argument classes; HF ``Seq2SeqTrainingArguments`` keys are valid too).
LLAMAFACTORY_KEYS: frozenset[str] = frozenset(
    """
    adapter_folder adapter_name_or_path add_special_tokens add_tokens additional_target
    apollo_layerwise apollo_proj apollo_proj_type apollo_rank apollo_scale apollo_scale_front
    apollo_scale_type apollo_target apollo_update_interval asft_alpha audio_sampling_rate
    badam_mask_mode badam_mode badam_start_block badam_switch_interval badam_switch_mode
    badam_update_ratio badam_verbose batch_size block_diag_attn buffer_size cache_dir
    compute_accuracy compute_dtype create_new_adapter crop_to_patches cutoff_len
    data_shared_file_system dataset dataset_dir default_system device_map
    disable_gradient_checkpointing disable_shuffling do_sample double_quantization download_mode
    dpo_label_smoothing eaft_alpha early_stopping_steps enable_liger_kernel enable_thinking
    enable_torch_profiler eval_dataset eval_num_beams eval_on_each_dataset export_device export_dir
    export_hub_model_id export_legacy_format export_quantization_bit export_quantization_dataset
    export_quantization_maxlen export_quantization_nsamples export_size finetuning_type flash_attn
    fp8 fp8_backend fp8_enable_fsdp_float8_all_gather freeze_extra_modules freeze_language_model
    freeze_multi_modal_projector freeze_trainable_layers freeze_trainable_modules
    freeze_vision_tower galore_layerwise galore_proj_type galore_rank galore_scale galore_target
    galore_update_interval hf_hub_token hyper_parallel_args ignore_pad_token_for_loss
    image_do_pan_and_scan image_max_pixels image_min_pixels include_effective_tokens_per_second
    infer_backend infer_dtype init_special_tokens interleave_probs kt_expert_checkpoint_path
    kt_lora_expert_intermediate_size kt_lora_expert_num kt_use_lora_experts kt_weight_path
    kto_chosen_weight kto_rejected_weight lang ld_alpha length_penalty lora_alpha lora_dropout
    lora_rank lora_target loraplus_lr_embedding loraplus_lr_ratio low_cpu_mem_usage mask_history
    master_addr master_port max_length max_new_tokens max_samples media_dir mix_strategy
    mixture_of_depths model_max_length model_name_or_path model_revision module_dropout
    moe_aux_loss_coef ms_hub_token n_shot neat_packing new_special_tokens_config num_beams
    offload_folder oft_block_size oft_rank oft_target om_hub_token overwrite_cache
    overwrite_output_dir packing pissa_convert pissa_init pissa_iter plot_loss ppo_buffer_size
    ppo_epochs ppo_score_norm ppo_target ppo_whiten_rewards pref_bco_weight pref_beta pref_ftx
    pref_loss preprocessing_batch_size preprocessing_num_workers preserve_thinking
    print_param_status profile_modules profiler_active_steps profiler_output_dir
    profiler_profile_memory profiler_record_shapes profiler_repeat profiler_wait_steps
    profiler_warmup_steps profiler_with_stack pure_bf16 quantization_bit quantization_device_map
    quantization_method quantization_type ray_init_kwargs ray_num_workers ref_model
    ref_model_adapters ref_model_quantization_bit repetition_penalty resize_vocab reward_model
    reward_model_adapters reward_model_quantization_bit reward_model_type rope_scaling save_dir seed
    sglang_config sglang_lora_backend sglang_maxlen sglang_mem_fraction sglang_tp_size shift_attn
    simpo_gamma skip_special_tokens split_special_tokens stage streaming swanlab_api_key
    swanlab_lark_secret swanlab_lark_webhook_url swanlab_logdir swanlab_mode swanlab_project
    swanlab_run_name swanlab_workspace task task_dir temperature template tokenized_path tool_format
    top_k top_p train_from_scratch train_on_prompt trust_remote_code upcast_layernorm
    upcast_lmhead_output use_adam_mini use_apollo use_asft_loss use_audio_in_video use_badam
    use_dft_loss use_dora use_eaft_loss use_fast_tokenizer use_galore use_hyper_parallel use_kt
    use_kv_cache use_llama_pro use_mca use_muon use_reentrant_gc use_rslora use_swanlab use_unsloth
    use_unsloth_gc use_v1_kernels val_size video_fps video_max_pixels video_maxlen video_min_pixels
    vllm_config vllm_enforce_eager vllm_gpu_util vllm_max_lora_rank vllm_maxlen
    """.split()
)

#: LLaMA-Factory v1 keys (``v1/config``).
LLAMAFACTORY_V1_KEYS: frozenset[str] = frozenset(
    """
    batching_strategy batching_workers bf16 cutoff_len dist_config enable_activation_checkpointing
    eval_dataset flash_attn full_determinism global_batch_size init_config kernel_config
    learning_rate logging_steps lr_scheduler_config max_grad_norm max_new_tokens max_steps
    micro_batch_size model model_class num_train_epochs optim_config output_dir peft_config
    quant_config resume_from_checkpoint sample_backend save_ckpt_as_hf save_epochs save_steps
    save_total_limit seed template train_dataset trust_remote_code
    """.split()
)

#: torchtune top-level recipe keys (every recipe config of torchtune 0.6.1, plus the validation keys of later releases).
TORCHTUNE_KEYS: frozenset[str] = frozenset(
    """
    ac_mode ac_option batch_size batch_size_val cfg checkpointer clip_grad_norm collate_fn compile
    custom_sharded_layers dataloader dataset dataset_val datasets device dtype
    enable_activation_checkpointing enable_activation_offloading enable_kv_cache epochs
    forward_batch_size fsdp fsdp_cpu_offload gamma gradient_accumulation_steps kd_loss kd_ratio
    keep_last_n_checkpoints kl_coeff limit lmbda log_every_n_steps log_level log_peak_memory_stats
    loss low_cpu_ram lr_scheduler max_generated_tokens max_new_tokens max_seq_length
    max_steps_per_epoch memory_efficient_fsdp_wrap metric_logger min_response_length model num_steps
    optimizer optimizer_in_bwd output_dir penalise_no_eos policy_model ppo_batch_size ppo_epochs
    profiler prompt quantizer recipe ref_checkpointer ref_policy_checkpointer resume_from_checkpoint
    reward_and_value_model reward_checkpointer reward_penalty run_val_every_n_steps
    save_adapter_weights_only save_every_n_steps seed shuffle stop_token_ids tasks
    teacher_checkpointer teacher_model temperature tensor_parallel_dim tensor_parallel_plan
    tokenizer top_k value_checkpointer whiten_rewards
    """.split()
)

#: ``client.fine_tuning.jobs.create`` arguments.
OPENAI_KEYS: frozenset[str] = frozenset(
    """
    hyperparameters integrations metadata method model seed suffix training_file validation_file
    """.split()
)

#: Keys of an OpenAI ``hyperparameters`` object (supervised, dpo and reinforcement).
OPENAI_HYPERPARAMETER_KEYS: frozenset[str] = frozenset(
    """
    batch_size beta compute_multiplier eval_interval eval_samples learning_rate_multiplier n_epochs
    reasoning_effort
    """.split()
)
